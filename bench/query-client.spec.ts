import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryClient, type KindDone, type QueriesTimed } from './query-client';
import { dossiersAsked, queryKinds, type QueryKindsInput } from './scenarios/query-kinds';
import { requestsPerKind } from './scenarios/queries';

describe('the query client, in a process of its own', () => {
  const samples = 150;
  const loaded = Array.from({ length: 1_000 }, (_, i) => ({ id: `dossier-${i}`, recordedAt: Date.UTC(2023, 0, 1) + i * 86_400_000 }));
  const input: QueryKindsInput = {
    today: '2026-12-05',
    tokens: { staff: 'staff-token', analyst: 'analyst-token' },
    dossiers: dossiersAsked(loaded, requestsPerKind(samples)),
    only: ['stock', "one dossier's state"],
  };
  // The stock's 8th timed request is answered 40 ms late.
  const late = queryKinds(input)[0].path(7);
  const seen: Array<{ url: string; authorization?: string; at: number }> = [];
  let server: Server;
  let client: QueryClient;
  let timed: QueriesTimed;
  const told: KindDone[] = [];
  let askedFrom = 0;
  let answeredBy = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url!, authorization: request.headers.authorization, at: Date.now() });
      // Headers the client parses into strings of its own heap: what its collections are made of.
      const headers = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(900)]));
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', ...headers }).end('{"ok":true}'), request.url === late ? 40 : 0);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Through ts-node (no build here), its young generation small: collections within a second of requests.
    client = await QueryClient.start({ compiled: false, nodeArgs: ['--max-semi-space-size=1'] });
    askedFrom = Date.now();
    timed = await client.time(
      {
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        kinds: input,
        samples,
        budgetMs: 60_000,
        // This process answers: its main thread is "the service".
        probe: { servicePid: process.pid, postmasterPid: process.pid },
      },
      (done) => told.push(done),
    );
    answeredBy = Date.now();
  }, 60_000);
  afterAll(async () => {
    await client?.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('builds the paths itself and times each answer of the real server', () => {
    const kinds = queryKinds(input);
    expect(timed.figures.map((q) => q.name)).toEqual(['stock', "one dossier's state"]);
    for (const [k, figure] of timed.figures.entries()) {
      expect(figure.count).toBe(samples);
      expect(figure.paths).toEqual(Array.from({ length: samples }, (_, i) => kinds[k].path(i)));
      // Three warm-up requests, then the timed ones, one at a time and in order.
      const asked = seen.filter(({ url }) => figure.paths.includes(url) || url === kinds[k].path(samples)).map(({ url }) => url);
      expect(asked.slice(-samples)).toEqual(figure.paths);
      expect(figure.waits).toHaveLength(samples);
    }
    expect(seen.every(({ authorization }) => authorization === 'Bearer analyst-token' || authorization === 'Bearer staff-token')).toBe(true);
    expect(seen.filter(({ url }) => url.startsWith('/dossiers/')).every(({ authorization }) => authorization === 'Bearer staff-token')).toBe(true);
    const [stock] = timed.figures;
    expect(stock.answers[7][1]).toBeGreaterThanOrEqual(40);
    expect(stock.p50).toBeLessThan(40);
    // Stretches on the epoch's clock, as the bench's other processes record theirs (tailOf).
    for (const [at, ms] of timed.figures.flatMap((q) => q.answers)) {
      expect(at).toBeGreaterThanOrEqual(askedFrom - 5);
      expect(at + ms).toBeLessThanOrEqual(answeredBy + 5);
    }
    expect(told).toEqual(timed.figures.map(({ name, p50, p99, count, bytes }) => ({ name, p50, p99, count, bytes })));
  });

  it('reports its own collections while it timed them', () => {
    const { gc, timeline } = timed.pauses;
    expect(gc.count).toBeGreaterThan(0);
    expect(timeline.collections).toHaveLength(gc.count);
    const [first] = timed.figures[0].answers;
    const last = timed.figures[1].answers[samples - 1];
    for (const [at] of timeline.collections) {
      expect(at).toBeGreaterThanOrEqual(first[0] - 1_000);
      expect(at).toBeLessThanOrEqual(last[0] + last[1] + 1_000);
    }
  });
});
