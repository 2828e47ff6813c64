import { expectStatus } from './dossier-fixtures';
import type { TestApp } from './test-app';

/**
 * Waits until every projection has applied everything recorded so far: GET /projections (admin)
 * reports each one live with nothing left to apply. Read models are eventually consistent; tests
 * of them wait here rather than sleep.
 */
export async function waitForProjections(testApp: TestApp, timeoutMs = 30_000): Promise<void> {
  const admin = await testApp.token('admin', 'projection-watcher');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await testApp.http().get('/projections').set('Authorization', `Bearer ${admin}`);
    expectStatus(response, 200);
    const statuses = response.body as Array<{ name: string; state: string; lagEvents: number }>;
    if (statuses.length > 0 && statuses.every((status) => status.state === 'live' && status.lagEvents === 0)) return;
    if (Date.now() > deadline) throw new Error(`projections did not catch up: ${JSON.stringify(statuses)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
