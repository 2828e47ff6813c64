import { heapSamplingInterval, placeOf, summariseHeapProfile, summariseProfile, topAllocationSites, type CpuProfile } from './profile-summary';

describe('profile summary', () => {
  it('names the place of a frame: package, project folder, Node.js, V8', () => {
    expect(placeOf('query', 'file:///work/main/node_modules/pg/lib/client.js')).toBe('package pg');
    expect(placeOf('query', '/work/main/node_modules/@nestjs/core/router/router-execution-context.js')).toBe('package @nestjs/core');
    expect(placeOf('append', '/work/main/libs/event-store/src/postgres/postgres-event-store.ts')).toBe('libs/event-store/src/postgres');
    expect(placeOf('load', '/work/main/apps/api/src/dossiers/dossier-repository.ts')).toBe('apps/api/src/dossiers');
    expect(placeOf('emit', 'node:events')).toBe('Node.js internals');
    expect(placeOf('(garbage collector)', '')).toBe('garbage collector');
    expect(placeOf('(idle)', '')).toBe('idle');
    expect(placeOf('writev', '')).toBe('native: writev');
  });

  it('adds self time per place, largest first, folding small places into "other"', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '' } },
        { id: 2, callFrame: { functionName: 'query', url: '/x/node_modules/pg/lib/client.js' } },
        { id: 3, callFrame: { functionName: '(idle)', url: '' } },
        { id: 4, callFrame: { functionName: 'tiny', url: 'node:util' } },
      ],
      samples: [2, 2, 3, 2, 4],
      timeDeltas: [1000, 1000, 2000, 995_000, 1000],
    };
    expect(summariseProfile(profile)).toEqual([
      { place: 'package pg', milliseconds: 997, percent: 99.7 },
      { place: 'other', milliseconds: 3, percent: 0.3 },
    ]);
  });

  it('adds the bytes each frame allocated per place, largest first', () => {
    const frame = (functionName: string, url: string, selfSize: number, children: unknown[] = []) => ({ callFrame: { functionName, url }, selfSize, children });
    const profile = {
      head: frame('(root)', '', 0, [
        frame('handle', '/x/node_modules/express/lib/router.js', 6 * 1024, [frame('query', '/x/node_modules/pg/lib/client.js', 3 * 1024)]),
        frame('next', '/x/node_modules/express/lib/router.js', 1024),
      ]),
    } as Parameters<typeof summariseHeapProfile>[0];
    expect(summariseHeapProfile(profile)).toEqual([
      { place: 'package express', kib: 7, percent: 70 },
      { place: 'package pg', kib: 3, percent: 30 },
    ]);
  });

  it('adds the bytes each function allocated itself wherever it was called from, with its file and line', () => {
    const frame = (functionName: string, url: string, lineNumber: number, selfSize: number, children: unknown[] = []) => ({ callFrame: { functionName, url, lineNumber }, selfSize, children });
    const profile = {
      head: frame('(root)', '', -1, 0, [
        frame('parse', '/w/node_modules/pg/lib/result.js', 9, 5 * 1024, [frame('row', '/w/dist/libs/read-models/src/crt.js', 41, 2 * 1024)]),
        frame('fold', '/w/dist/libs/read-models/src/fold.js', 3, 1024, [frame('row', '/w/dist/libs/read-models/src/crt.js', 41, 2 * 1024)]),
      ]),
    } as Parameters<typeof topAllocationSites>[0];
    expect(topAllocationSites(profile, 2)).toEqual([
      { site: 'parse node_modules/pg/lib/result.js:10', kib: 5, percent: 50 },
      { site: 'row libs/read-models/src/crt.js:42', kib: 4, percent: 40 },
    ]);
  });

  it('samples a long scenario more coarsely, the queries as finely as before', () => {
    expect(heapSamplingInterval(0)).toBe(4096);
    expect(heapSamplingInterval(381_143)).toBe(64 * 1024);
    expect(heapSamplingInterval(837_663)).toBe(128 * 1024);
    expect(heapSamplingInterval(3_636_526)).toBe(512 * 1024);
  });
});
