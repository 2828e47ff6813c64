/**
 * Where a CPU profile's time went, by place: a package of node_modules, a folder of the
 * project (apps/api/src/<feature>, libs/<lib>), Node.js itself, the garbage collector, idle;
 * and where a sampling heap profile's bytes were allocated, by the same places.
 */

export interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface PlaceShare {
  readonly place: string;
  readonly milliseconds: number;
  /** Share of all sampled time, idle included, in percent. */
  readonly percent: number;
}

/** The place a frame belongs to. */
export function placeOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'Node.js/V8 (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) return 'Node.js internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return `package ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const project = /\/(apps\/[^/]+\/src\/[^/]+|libs\/[^/]+\/src(?:\/[^/.]+)?|bench|test)\//.exec(url);
  if (project) return project[1];
  return url.split('/').slice(-2).join('/');
}

/** Self time per place, largest first (places under `minPercent` are folded into "other"). */
export function summariseProfile(profile: CpuProfile, minPercent = 1): PlaceShare[] {
  const placeOfNode = new Map(profile.nodes.map((node) => [node.id, placeOf(node.callFrame.functionName, node.callFrame.url)]));
  const microseconds = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const place = placeOfNode.get(id) ?? 'unknown';
    microseconds.set(place, (microseconds.get(place) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return sharesOf(microseconds, minPercent).map(({ place, amount, percent }) => ({ place, milliseconds: Math.round(amount / 1000), percent }));
}

/** A sampling heap profile (V8's HeapProfiler.stopSampling): a tree of call frames with the bytes each allocated itself. */
export interface HeapProfile {
  readonly head: HeapProfileNode;
}

interface HeapProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber?: number };
  readonly selfSize: number;
  readonly children: readonly HeapProfileNode[];
}

export interface AllocationShare {
  readonly place: string;
  readonly kib: number;
  /** Share of all sampled bytes, in percent. */
  readonly percent: number;
}

/** Bytes allocated per place, largest first (places under `minPercent` are folded into "other"). */
export function summariseHeapProfile(profile: HeapProfile, minPercent = 1): AllocationShare[] {
  const bytes = bytesBy(profile, ({ functionName, url }) => placeOf(functionName, url));
  return sharesOf(bytes, minPercent).map(({ place, amount, percent }) => ({ place, kib: Math.round(amount / 1024), percent }));
}

/** An allocation site: a function, where it is (file and line, 1-based), and the bytes it allocated itself. */
export interface AllocationSite {
  readonly site: string;
  readonly kib: number;
  /** Share of all sampled bytes, in percent. */
  readonly percent: number;
}

/** The `count` functions that allocated the most bytes themselves, wherever they were called from, largest first. */
export function topAllocationSites(profile: HeapProfile, count = 30): AllocationSite[] {
  const bytes = bytesBy(profile, ({ functionName, url, lineNumber }) => {
    const file = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|libs|apps|bench)\//, '$1/')}:${(lineNumber ?? -1) + 1}`;
    return `${functionName || '(anonymous)'}${file}`;
  });
  // No share is under 0%: sharesOf folds nothing into "other" here.
  return sharesOf(bytes, 0)
    .slice(0, count)
    .map(({ place, amount, percent }) => ({ site: place, kib: Math.round(amount / 1024), percent }));
}

/** The bytes each frame of the profile allocated itself, summed by the key of its call frame. */
function bytesBy(profile: HeapProfile, keyOf: (frame: HeapProfileNode['callFrame']) => string): Map<string, number> {
  const bytes = new Map<string, number>();
  const visit = (node: HeapProfileNode) => {
    const key = keyOf(node.callFrame);
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  return bytes;
}

/** The sampling heap profiler's mean interval for the queries, whose requests are short (V8's default is 32 KiB). */
export const QUERIES_HEAP_SAMPLING_BYTES = 4096;

/**
 * The sampling heap profiler's mean interval for a scenario of `events` events: V8 keeps a record
 * of every sample (those of objects already collected too, which the profile asks for), and the
 * service parses the whole profile into its own bounded heap when it stops, so a catch-up or a
 * rebuild sampled as finely as the queries (4 KiB) ran the service out of its heap. About 32 KiB
 * allocated an event at most (the catch-up's three folds together) and 250,000 samples are
 * allowed: 64 KiB for the 381,143 events of the default query data set, 128 KiB for a million.
 */
export function heapSamplingInterval(events: number): number {
  const wanted = (events * 32 * 1024) / 250_000;
  let interval = QUERIES_HEAP_SAMPLING_BYTES;
  while (interval < wanted) interval *= 2;
  return interval;
}

/** Amounts per place as shares of their sum, largest first, those under `minPercent` folded into "other". */
function sharesOf(amounts: ReadonlyMap<string, number>, minPercent: number): Array<{ place: string; amount: number; percent: number }> {
  const total = [...amounts.values()].reduce((sum, amount) => sum + amount, 0);
  const shares = [...amounts.entries()]
    .filter(([, amount]) => amount > 0)
    .map(([place, amount]) => ({ place, amount, percent: total > 0 ? Math.round((amount / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.amount - a.amount);
  const kept = shares.filter((share) => share.percent >= minPercent);
  const rest = shares.filter((share) => share.percent < minPercent);
  if (rest.length > 0) {
    kept.push({
      place: 'other',
      amount: rest.reduce((sum, share) => sum + share.amount, 0),
      percent: Math.round(rest.reduce((sum, share) => sum + share.percent, 0) * 10) / 10,
    });
  }
  return kept;
}
