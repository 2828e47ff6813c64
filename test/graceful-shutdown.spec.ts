import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registrationBody } from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Stopping the service lets requests in flight finish: a registration whose body is still
 * arriving when the stop begins is recorded and answered, and only then does the service close.
 */
describe('graceful shutdown', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });

  it('finishes a request in flight before it stops, and takes no new ones', async () => {
    const { port } = testApp.app.getHttpServer().address() as AddressInfo;
    const token = await testApp.token('staff', 'shutdown-staff');
    const body = JSON.stringify(registrationBody());
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/dossiers',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      request.write(body.slice(0, 20));
      // The stop begins while the request is still arriving.
      setTimeout(() => {
        stopped = testApp.close();
        setTimeout(() => request.end(body.slice(20)), 200);
      }, 100);
    });
    let stopped: Promise<void> | undefined;
    const response = await answer;
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ dossierId: expect.any(String), version: 1 });
    await stopped;
    await expect(
      new Promise((resolve, reject) => {
        const late = httpRequest({ host: '127.0.0.1', port, path: '/health/live' }, resolve);
        late.on('error', reject);
        late.end();
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
