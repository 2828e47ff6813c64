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
  readonly callFrame: { readonly functionName: string; readonly url: string };
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
  const bytes = new Map<string, number>();
  const visit = (node: HeapProfileNode) => {
    const place = placeOf(node.callFrame.functionName, node.callFrame.url);
    bytes.set(place, (bytes.get(place) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  return sharesOf(bytes, minPercent).map(({ place, amount, percent }) => ({ place, kib: Math.round(amount / 1024), percent }));
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
