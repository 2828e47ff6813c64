/**
 * Where a CPU profile's time went, by place: a package of node_modules, a folder of the
 * project (apps/api/src/<feature>, libs/<lib>), Node.js itself, the garbage collector, idle.
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
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const place = placeOfNode.get(id) ?? 'unknown';
    microseconds.set(place, (microseconds.get(place) ?? 0) + delta);
    total += delta;
  });
  const shares = [...microseconds.entries()]
    .map(([place, us]) => ({ place, milliseconds: Math.round(us / 1000), percent: total > 0 ? Math.round((us / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.milliseconds - a.milliseconds);
  const kept = shares.filter((share) => share.percent >= minPercent);
  const rest = shares.filter((share) => share.percent < minPercent);
  if (rest.length > 0) {
    kept.push({
      place: 'other',
      milliseconds: rest.reduce((sum, share) => sum + share.milliseconds, 0),
      percent: Math.round(rest.reduce((sum, share) => sum + share.percent, 0) * 10) / 10,
    });
  }
  return kept;
}
