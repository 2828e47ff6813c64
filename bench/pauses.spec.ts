import { collectGarbage, PauseRecorder, tailOf, type Stretch } from './pauses';

describe("what a kind's slowest answers met", () => {
  // 200 answers of 2 ms, 10 ms apart; three slow ones (the p99 by nearest rank is the third slowest).
  const answers: Stretch[] = Array.from({ length: 200 }, (_, i) => [1_000 + i * 10, i === 50 ? 9 : i === 120 ? 7 : i === 180 ? 6 : 2]);
  // The service took each request 0.5 ms after it was sent and finished it 0.5 ms before it arrived.
  const requests: Stretch[] = answers.map(([at, ms]) => [at + 0.5, ms - 1]);

  it('takes the answers at or above the p99 and says which met a collection of the service or of the bench', () => {
    const tail = tailOf(answers, { collections: [[1_503, 4], [1_700, 1]], requests }, [[2_801, 1]]);
    expect(tail.slowest).toBe(3);
    expect(tail.slowestMs).toEqual([9, 7, 6]);
    expect(tail.slowestIndex).toEqual([50, 120, 180]);
    expect(tail.slowestServiceMs).toEqual([8, 6, 5]);
    expect(tail.slowestMetServiceGc).toBe(1);
    expect(tail.slowestMetBenchGc).toBe(1);
    expect(tail.slowestServiceGcMs).toEqual([4, 0, 0]);
    // 1,503 meets the answer at 1,500; 1,700 meets the one at 1,700.
    expect(tail.allMetServiceGc).toBe(0.01);
    expect(tail.allMetBenchGc).toBe(0.005);
    expect(tail.serviceP50Ms).toBe(1);
  });

  it('says when the service saw no request within an answer', () => {
    const tail = tailOf([[0, 5]], { collections: [], requests: [[10, 1]] }, []);
    expect(tail).toMatchObject({ slowest: 1, slowestServiceMs: [null], slowestMetServiceGc: 0, serviceP50Ms: null });
  });
});

describe('the pauses of a stretch of work', () => {
  it('counts what was allocated, objects that died young included', async () => {
    const recorder = new PauseRecorder();
    recorder.start();
    let kept: number[][] = [];
    // About 40 MiB of short arrays, at most a thousand alive at a time.
    for (let i = 0; i < 100_000; i++) {
      kept.push(new Array<number>(50).fill(i));
      if (kept.length > 1_000) kept = [];
    }
    // Collections reach the observer a turn of the event loop later.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const pauses = recorder.stop();
    expect(kept.length).toBeGreaterThan(0);
    expect(pauses.gc.allocatedMiB).toBeGreaterThan(30);
    expect(pauses.gc.byKind.scavenge?.count).toBeGreaterThan(0);
    expect(pauses.gc.newSpaceMiB).toBeGreaterThan(0);
    // At most a thousand short arrays alive at a time: a scavenge finds far less than the young generation alive.
    expect(pauses.gc.scavengeSurvivedKiB + pauses.gc.scavengePromotedKiB).toBeLessThan(pauses.gc.newSpaceMiB * 1024);
  });
});

describe("the bench's own garbage", () => {
  it('is collected on demand', async () => {
    // An object nothing holds but a WeakRef, made a turn before (a WeakRef's target lives to the end
    // of the turn that made it): gone once collected. (The collection's own entry reaches a
    // PerformanceObserver a turn or more later, too late to wait for on a loaded machine: CI.)
    const dropped = new WeakRef(new Array(1_000).fill({}));
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(dropped.deref()).toBeUndefined();
  });
});
