import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timedGet } from './queries';

describe('one timed GET of the query scenario', () => {
  let server: Server;
  let baseUrl: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    server = createServer((request, response) => {
      const found = request.url === '/answer';
      response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
      // Two chunks, one with a character of two bytes.
      response.write(found ? '{"name":"Олена",' : '{"title":"Not found",');
      response.end(`"pad":"${'x'.repeat(70_000)}"}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("counts a 200's bytes without keeping its body", async () => {
    const answer = await timedGet(agent, baseUrl, '/answer', {});
    expect(answer).toMatchObject({ status: 200, bytes: Buffer.byteLength(`{"name":"Олена","pad":"${'x'.repeat(70_000)}"}`), body: '' });
    expect(answer.milliseconds).toBeGreaterThan(0);
  });

  it('keeps the body of any other answer, to say what went wrong', async () => {
    const answer = await timedGet(agent, baseUrl, '/elsewhere', {});
    expect(answer.status).toBe(404);
    expect(answer.body.startsWith('{"title":"Not found",')).toBe(true);
    expect(answer.bytes).toBe(Buffer.byteLength(answer.body));
  });
});
