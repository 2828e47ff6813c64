/**
 * What a bench run measures and how big it is, from the environment. The defaults are the
 * figures of the benchmark issue; BENCH_QUICK=1 shrinks everything to a run of under a minute
 * for development (any BENCH_* variable set explicitly still wins).
 */
export interface BenchConfig {
  readonly quick: boolean;
  /** BENCH_SCALE=1: the query scenario at 1,000,000 dossiers, with 10k and 100k as growth steps. */
  readonly scale: boolean;
  /** Events in the store for the rebuild scenario. */
  readonly events: number;
  /** Realistic dossiers behind the query scenario (the store starts with these). */
  readonly dossiers: number;
  /**
   * Smaller data sets the query scenario also runs on, each in a database of its own, for the
   * growth table (each query's p50/p99 per size); sizes not below `dossiers` are left out.
   */
  readonly growthDossiers: readonly number[];
  /** BENCH_QUERY_KINDS: only the query kinds whose names start with one of these (all when empty), e.g. for a profile of one kind; separated by commas without a space after them. */
  readonly queryKinds: readonly string[];
  /** BENCH_QUERIES_ONLY=1: the catch-up and the queries (growth steps included), nothing after them. */
  readonly queriesOnly: boolean;
  /** BENCH_REBUILDS_ONLY=1: the catch-up and the rebuilds, nothing else (no growth steps, queries, commands, EventStoreDB part). */
  readonly rebuildsOnly: boolean;
  /**
   * BENCH_REBUILDS: which of the rebuild scenario's parts run (REBUILD_PARTS: each projection's
   * rebuild, and the catch-up from empty of all three); all by default. The catch-up can be left
   * out only with BENCH_REBUILDS_ONLY=1: the queries and commands read the read models it fills.
   */
  readonly rebuilds: readonly RebuildPart[];
  /** Dossiers registered beforehand for the lifecycle commands of the command scenario. */
  readonly poolDossiers: number;
  /** autocannon duration of each command run, seconds. */
  readonly durationSeconds: number;
  readonly connections: number;
  /** Time budget of each rebuild (one projection, or all together), seconds. */
  readonly rebuildBudgetSeconds: number;
  /** Requests per query kind (after a warm-up), and the time budget per kind, seconds. */
  readonly querySamples: number;
  readonly queryBudgetSeconds: number;
  /** Events loaded into the EventStoreDB test server for its read ceiling. */
  readonly esdbEvents: number;
  readonly esdb: boolean;
  /** Registrations' personal blocks sealed as the service seals them (false: legacy plain blocks). */
  readonly encryptPersonalData: boolean;
  /** CPU profiles of the service per scenario into bench/results/profiles-<run>/. */
  readonly profile: boolean;
  /**
   * BENCH_SERVICE_NODE_ARGS: Node.js options given to the service after its own (e.g.
   * `--trace-gc-nvp`, which NODE_OPTIONS does not allow), separated by spaces; none by default.
   */
  readonly serviceNodeArgs: readonly string[];
  /**
   * BENCH_SERVICE_OUTPUT: a file the service's standard output is appended to (its request log and
   * what options like `--trace-gc-nvp` print); discarded by default.
   */
  readonly serviceOutput: string | null;
  readonly seed: number;
}

/** The projections the rebuild scenario rebuilds one at a time, in its order. */
export const REBUILT_PROJECTIONS = ['crt-registry', 'flow-statistics', 'dossier-archive'] as const;
export type RebuiltProjection = (typeof REBUILT_PROJECTIONS)[number];
/** What BENCH_REBUILDS may name: a projection's rebuild, or the catch-up from empty (all three together). */
export const REBUILD_PARTS = ['catch-up', ...REBUILT_PROJECTIONS] as const;
export type RebuildPart = (typeof REBUILD_PARTS)[number];

export class BenchConfigError extends Error {
  override readonly name = 'BenchConfigError';
}

/** BENCH_SERVICE_NODE_ARGS split into options; each must be an option (start with `-`). */
function serviceNodeArgs(raw: string | undefined): string[] {
  const args = (raw ?? '').split(/\s+/).filter((arg) => arg !== '');
  const stray = args.find((arg) => !arg.startsWith('-'));
  if (stray !== undefined) throw new BenchConfigError(`BENCH_SERVICE_NODE_ARGS must be Node.js options separated by spaces, each starting with "-", got "${stray}"`);
  return args;
}

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const number = (name: string, full: number, small: number, min = 0): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return quick ? small : full;
    const value = Number(raw.replace(/_/g, ''));
    if (!Number.isFinite(value) || value < min) throw new BenchConfigError(`${name} must be a number of at least ${min}, got "${raw}"`);
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    throw new BenchConfigError(`${name} must be 1 or 0, got "${raw}"`);
  };
  const scale = flag('BENCH_SCALE', false);
  const dossiers = Math.round(number('BENCH_DOSSIERS', scale ? 1_000_000 : 100_000, 5_000, 1));
  const growth = (): number[] => {
    const raw = env.BENCH_GROWTH?.trim();
    if (raw === undefined || raw === '') return quick ? [1_000] : scale ? [10_000, 100_000] : [10_000];
    if (raw === '0') return [];
    return raw.split(',').map((part) => {
      const value = Number(part.trim().replace(/_/g, ''));
      if (!Number.isInteger(value) || value < 1) throw new BenchConfigError(`BENCH_GROWTH must be dossier counts separated by commas (or 0), got "${raw}"`);
      return value;
    });
  };
  const rebuildsOnly = flag('BENCH_REBUILDS_ONLY', false);
  const rebuilds = (): RebuildPart[] => {
    const raw = env.BENCH_REBUILDS?.trim();
    if (raw === undefined || raw === '') return [...REBUILD_PARTS];
    const named = raw.split(',').map((part) => part.trim());
    for (const name of named) {
      if (!(REBUILD_PARTS as readonly string[]).includes(name)) {
        throw new BenchConfigError(`BENCH_REBUILDS must name some of ${REBUILD_PARTS.join(', ')} separated by commas, got "${raw}"`);
      }
    }
    // In the scenario's order, each once.
    return REBUILD_PARTS.filter((part) => named.includes(part));
  };
  const config: BenchConfig = {
    quick,
    scale,
    events: Math.round(number('BENCH_EVENTS', 1_000_000, 60_000, 1)),
    dossiers,
    growthDossiers: rebuildsOnly ? [] : [...new Set(growth())].filter((size) => size < dossiers).sort((a, b) => a - b),
    queriesOnly: flag('BENCH_QUERIES_ONLY', false),
    rebuildsOnly,
    rebuilds: rebuilds(),
    // Split at a comma a space does not follow: the kinds' own names have ", " in them ("flows, 4 years by month").
    queryKinds: (env.BENCH_QUERY_KINDS ?? '').split(/,(?! )/).map((kind) => kind.trim()).filter((kind) => kind !== ''),
    poolDossiers: Math.round(number('BENCH_POOL_DOSSIERS', 16_000, 3_000, 1)),
    durationSeconds: number('BENCH_DURATION_S', 20, 5, 1),
    connections: Math.round(number('BENCH_CONNECTIONS', 32, 32, 1)),
    rebuildBudgetSeconds: number('BENCH_REBUILD_BUDGET_S', 300, 60, 1),
    querySamples: Math.round(number('BENCH_QUERY_SAMPLES', 200, 40, 1)),
    queryBudgetSeconds: number('BENCH_QUERY_BUDGET_S', 5, 2, 0.1),
    esdbEvents: Math.round(number('BENCH_ESDB_EVENTS', 100_000, 20_000, 0)),
    esdb: flag('BENCH_ESDB', true),
    encryptPersonalData: flag('BENCH_ENCRYPT', true),
    profile: flag('BENCH_PROFILE', false),
    serviceNodeArgs: serviceNodeArgs(env.BENCH_SERVICE_NODE_ARGS),
    serviceOutput: env.BENCH_SERVICE_OUTPUT?.trim() || null,
    seed: Math.round(number('BENCH_SEED', 2022, 2022)),
  };
  if (config.queriesOnly && config.rebuildsOnly) throw new BenchConfigError('BENCH_QUERIES_ONLY and BENCH_REBUILDS_ONLY exclude each other');
  if (!config.rebuilds.includes('catch-up') && !config.rebuildsOnly) {
    throw new BenchConfigError('BENCH_REBUILDS can leave out catch-up only with BENCH_REBUILDS_ONLY=1: the queries and commands read the read models the catch-up fills');
  }
  return config;
}
