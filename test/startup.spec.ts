import { createTestDatabase, until } from '@app/testing';
import { spawnService } from './support/service-process';
import { TEST_DEV_SECRET } from './support/test-app';

/** The service as started from a shell: it refuses a wrong setting, and says where it listens last. */
describe('starting the service', () => {
  it('refuses to start on a date that does not exist, naming the setting', async () => {
    const service = spawnService({ PROTECTION_END_DATE: '2027-02-30' });
    expect(await service.exited).toBe(2);
    expect(service.stderr.join('\n')).toContain('PROTECTION_END_DATE: "2027-02-30" is not a calendar date');
    expect(service.stdout).toEqual([]);
  }, 60_000);

  it('logs JSON lines off a terminal, from its first line, and "Listening" last of the start-up lines', async () => {
    const database = await createTestDatabase();
    const service = spawnService({ DATABASE_URL: database.url, PORT: '0', AUTH_DEV_SECRET: TEST_DEV_SECRET, RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const entries = () => service.stdout.map((line) => JSON.parse(line) as { msg: string; context?: string; req?: unknown });
      const listening = (await until(async () => entries().find((entry) => entry.msg.startsWith('Listening on ')), Boolean, {
        what: 'the Listening line',
        timeoutMs: 50_000,
      }))!;
      const port = /:(\d+) /.exec(listening.msg)![1];
      // Ready: every projection has been claimed and caught up, anything they log at start has been logged.
      await until(() => fetch(`http://127.0.0.1:${port}/health/ready`).then((answer) => answer.status), (status) => status === 200, { what: 'readiness' });
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);

      const lines = entries();
      const index = lines.findIndex((entry) => entry.msg === listening.msg);
      const before = lines.slice(0, index).map((entry) => entry.msg);
      expect(before).toContain('Event store: PostgreSQL');
      expect(before.filter((msg) => /^Projection [a-z-]+: running in this instance/.test(msg))).toHaveLength(3);
      // After it: only the answers to our readiness checks, then the stop.
      const after = lines.slice(index + 1);
      expect(after.filter((entry) => !entry.req).map((entry) => entry.msg)).toEqual(['SIGTERM: finishing requests in flight, then stopping']);
      expect(service.stderr).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await service.exited;
      await database.drop();
    }
  }, 90_000);
});
