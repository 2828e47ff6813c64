import { KeyedMutex } from './keyed-mutex';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs work for one key one at a time, in arrival order, even when some fail', async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    const job = (name: string, fail = false) =>
      mutex.run('dossier-1', async () => {
        trace.push(`start ${name}`);
        await tick();
        trace.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    expect(trace).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('lets different keys run side by side', async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    const job = (key: string) =>
      mutex.run(key, async () => {
        trace.push(`start ${key}`);
        await tick();
        trace.push(`end ${key}`);
      });
    await Promise.all([job('x'), job('y')]);
    expect(trace.slice(0, 2).sort()).toEqual(['start x', 'start y']);
  });
});
