import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CHECKPOINT_TABLE } from '@app/projection-engine';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { READ_MODEL_MIGRATIONS } from '../../schema';
import { FLOW_STATISTICS } from '../flow-statistics.projection';
import { answerJson, StatisticsCache } from './statistics-cache';

/**
 * Answers are kept as their JSON text until asked again (statistics-cache.ts): what an ask after
 * the first gets must be the answer computed, and its text the one the API would have written.
 */
describe('statistics answers kept between changes', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;

  beforeAll(async () => {
    database = await openReadModelDatabase(READ_MODEL_MIGRATIONS);
    await database.dataSource.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, position_commit, position_prepare) VALUES ($1, 42, 42)`, [FLOW_STATISTICS]);
  });
  afterAll(() => database?.close());

  const cacheCounting = () => {
    const sources: string[] = [];
    return { sources, cache: new StatisticsCache(database.dataSource, (source) => sources.push(source)) };
  };

  it('computes an answer once; asked again, the answer computed (parsed from its kept JSON, then kept as that object), each with its JSON as UTF-8 bytes', async () => {
    const { sources, cache } = cacheCounting();
    // Names beyond ASCII (a municipality, a currency, a character outside the BMP): the bytes are UTF-8.
    const computed = { from: '2022-01-01', share: 0.527, none: null, name: 'Liège € 𝄞', periods: [{ period: '2022-01', registrations: { value: 12, suppressed: false } }] };
    const json = Buffer.from(JSON.stringify(computed), 'utf8');
    let computations = 0;
    const ask = () =>
      cache.answer('flows|2022-01-01', async (basis) => {
        computations++;
        expect(basis).toEqual({ suppressBelow: 5, lastBusinessDate: null });
        return computed;
      });

    const first = await ask();
    expect(first).toBe(computed);
    expect(answerJson(first)!.equals(json)).toBe(true);
    const second = await ask();
    expect(second).not.toBe(computed);
    expect(second).toStrictEqual(computed);
    expect(answerJson(second)!.equals(json)).toBe(true);
    expect(await ask()).toBe(second);
    expect(computations).toBe(1);
    expect(sources).toEqual(['computed', 'cache', 'cache']);
  });

  it('shares one computation between identical questions asked together', async () => {
    const { sources, cache } = cacheCounting();
    let computations = 0;
    const ask = () => cache.answer('stock|2023-03-31', async () => ({ asOf: '2023-03-31', computations: ++computations }));
    const answers = await Promise.all([ask(), ask(), ask()]);
    expect(answers).toEqual([{ asOf: '2023-03-31', computations: 1 }, answers[0], answers[0]]);
    expect(sources).toEqual(['computed', 'cache', 'cache']);
  });

  it('keeps a part of answers as the object it is, maps and all', async () => {
    const { cache } = cacheCounting();
    const situations = new Map([['10000', { stage: new Map([['housed', 3]]) }]]);
    expect(await cache.part('outlook-situation|2024-01-31', async () => situations)).toBe(situations);
    expect(await cache.part('outlook-situation|2024-01-31', async () => new Map())).toBe(situations);
  });

  it("keeps no answer's JSON text: the young generation's next collection after the answer frees it", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
    const { cache } = cacheCounting();
    // An answer of a few kilobytes whose JSON text is some 200 KB: a large object, which survives a
    // scavenge by being moved to the old generation's large objects, so what a scavenge kept
    // shows in that space's size. Each answer is asked between two scavenges of the test's own,
    // the second right after the answer has died: its text kept beside it (a WeakMap's value, as
    // until the twelfth session), the text was moved then. Now nothing holds it once encoded (the
    // answer and the cache hold its bytes, outside the heap).
    const cells = new Array<string>(1000).fill('x'.repeat(200));
    const ask = async (question: string) => answerJson(await cache.answer(question, async () => ({ question, cells })))!.length;
    // Answers held while the others are asked (a table of answers to texts would hold them, grown
    // to their number, and stay), then all of it old.
    const held = await Promise.all(Array.from({ length: 40 }, (_, i) => cache.answer(`held|${i}`, async () => ({ i }))));
    gc({ type: 'major' });
    gc({ type: 'major' });
    const largeObjects = () => getHeapSpaceStatistics().find((space) => space.space_name === 'large_object_space')!.space_used_size;
    const before = largeObjects();
    let written = 0;
    for (let i = 0; i < 8; i++) {
      gc({ type: 'minor' });
      written += await ask(`answered and dropped|${i}`);
      gc({ type: 'minor' });
    }
    expect(written).toBeGreaterThan(1_600_000);
    expect(held.every((answer, i) => answerJson(answer)!.toString('utf8') === `{"i":${i}}`)).toBe(true);
    // With the WeakMap all 8 texts were moved: 1.6 MB.
    expect(largeObjects() - before).toBeLessThan(written / 2);
  });

  it('keeps no failed computation, and computes anew once the read model moves', async () => {
    const { sources, cache } = cacheCounting();
    await expect(cache.answer('funnel|2024', async () => Promise.reject(new Error('the read failed')))).rejects.toThrow('the read failed');
    expect(await cache.answer('funnel|2024', async () => ({ asked: 2 }))).toEqual({ asked: 2 });
    expect(await cache.answer('funnel|2024', async () => ({ asked: 3 }))).toEqual({ asked: 2 });
    await database.dataSource.query(`UPDATE ${CHECKPOINT_TABLE} SET position_commit = 43 WHERE name = $1`, [FLOW_STATISTICS]);
    expect(await cache.answer('funnel|2024', async () => ({ asked: 4 }))).toEqual({ asked: 4 });
    expect(sources).toEqual(['computed', 'computed', 'cache', 'computed']);
  });
});
