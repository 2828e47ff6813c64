/**
 * `npm run bench`: the service's throughput, latency and memory on the embedded default (and
 * the EventStoreDB path through its test server), each figure beside a raw ceiling measured in
 * the same run. See bench/README.md for what each scenario measures and how to read it.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, Pool } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { EventStoreDBClient } from '@eventstore/db-client';
import { DOSSIER_STREAM_PREFIX, type IsoDate } from '@app/domain';
import { EventStoreDbEventStore } from '@app/event-store/eventstoredb';
import { PostgresEventStore } from '@app/event-store/postgres';
import { comparePositions, START_OF_LOG, type EventStore, type LogPosition, type RecordedEvent } from '@app/event-store';
import { openRuntime } from '@app/persistence';
import { PERSONAL_DATA_KEYS_TABLE } from '@app/personal-data';
import { DEFAULT_PROJECTION_BATCH_SIZE, loadConfig, signDevToken, todayIn, type AppConfig, type Role } from '@app/platform';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@app/platform/embedded-postgres';
import { NationalRegisterReservations } from '@app/dossiers';
import { benchConfig, REBUILT_PROJECTIONS, type BenchConfig, type RebuiltProjection } from './config';
import { CpuMeter, rateTheCpuAllows } from './cpu';
import { PostgresCpu, type PostgresCpuSplit } from './postgres-cpu';
import { DossierRowEncoder, envelopeSealer, LifecyclePool, plainSealer, RealisticDossiers, type BenchDossier } from './dataset';
import { loadThroughStore } from './load-esdb';
import { loadIntoPostgres } from './load-postgres';
import { loadAverages, machineInfo, versions } from './machine';
import { collectGarbage, PauseRecorder, tailOf, type Pauses } from './pauses';
import { StatementStats, type StatementBreakdown } from './pg-statements';
import { activityChanges, activitySnapshot } from './pg-activity';
import { heapSamplingInterval, QUERIES_HEAP_SAMPLING_BYTES, summariseHeapProfile, summariseProfile, topAllocationSites, type CpuProfile, type HeapProfile } from './profile-summary';
import { formatTable, resultsFileName, type Figure } from './report';
import { esdbAppendCeiling, postgresInsertCeiling, type CeilingResult } from './scenarios/ceilings';
import { runCommands, type CommandRunResult } from './scenarios/commands';
import { dossierReadCeiling, dossierReadCeilingFigures } from './scenarios/dossier-read-ceiling';
import { requestsPerKind, type QueryFigure } from './scenarios/queries';
import { dossiersAsked, type LoadedDossier } from './scenarios/query-kinds';
import { storeAppends } from './scenarios/store-appends';
import { QueryClient } from './query-client';
import { BenchChild, startProjector, startService, type ServiceReady } from './service';
import type { CaughtUp, RebuildFigure } from './service-protocol';
import { perSecond, ratio, round } from './stats';

const RESULTS_DIR = join(__dirname, 'results');
const REBUILD_TARGET = 50_000;
/** Issue #14 asks less of the catch-up from empty (all projections together) than of one projection's rebuild. */
const CATCH_UP_TARGET = 30_000;
/** The issue's bound on a whole run. */
const TIME_BUDGET_SECONDS = 600;
const COMMAND_RATIO_TARGET = 0.6;
const STATISTICS_P99_TARGET_MS = 20;
const SINGLE_DOSSIER_P99_TARGET_MS = 5;
const LIST_P99_TARGET_MS = 20;

/** Everything one run collects, written to bench/results/<timestamp>.json at the end. */
class Run {
  readonly startedAt = new Date();
  readonly figures: Figure[] = [];
  readonly details: Record<string, unknown> = {};
  readonly notes: string[] = [];
  /** Seconds of the bench's own time per stretch, in order. */
  readonly phases: Record<string, number> = {};
  private readonly clock = performance.now();
  private lastMark = performance.now();

  constructor(readonly config: BenchConfig) {}

  log(message: string): void {
    const seconds = ((performance.now() - this.clock) / 1000).toFixed(1).padStart(6);
    console.log(`[bench ${seconds}s] ${message}`);
  }

  figure(figure: Figure): void {
    this.figures.push(figure);
  }

  /** Ends a stretch of the run: its seconds go to `phases`. */
  mark(phase: string): void {
    const now = performance.now();
    this.phases[phase] = Math.round((now - this.lastMark) / 100) / 10;
    this.lastMark = now;
  }

  elapsedSeconds(): number {
    return Math.round((performance.now() - this.clock) / 100) / 10;
  }
}

interface Secrets {
  readonly AUTH_DEV_SECRET: string;
  readonly NRN_HASH_KEY: string;
  readonly PERSONAL_DATA_KEY: string;
}

/** What both phases share: PostgreSQL, secrets, tokens, the data generators. */
interface Bench {
  readonly run: Run;
  readonly work: string;
  readonly serverUrl: string;
  readonly secrets: Secrets;
  readonly today: IsoDate;
  readonly appConfig: AppConfig;
  readonly pool: LifecyclePool;
  token(role: Role): Promise<string>;
  /** A writer into the store whose reserved national register numbers are `reserved`. */
  writer(seed: number, reserved: Set<string>): DossierRowEncoder;
  /** CPU seconds of the service, PostgreSQL (all its processes, by kind in `postgresByKind`), the bench itself and any `others` (name: pid) over `work`. */
  cpu<T>(
    service: BenchChild<unknown> | undefined,
    work: () => Promise<T>,
    others?: Record<string, number>,
  ): Promise<{ result: T; cpu: MeasuredCpu }>;
  readonly postmasterPid: number;
  /** The query scenario's figures per data-set size, for the growth table. */
  readonly growth: GrowthStep[];
}

type MeasuredCpu = ReturnType<CpuMeter['stop']> & { readonly postgresByKind: PostgresCpuSplit };

interface GrowthStep {
  readonly dossiers: number;
  readonly figures: readonly QueryFigure[];
}

/**
 * A pool of the bench's own. An idle client whose server goes away (PostgreSQL stopping at the
 * end of the run while the pool is still closing) must not crash the bench: nothing is asked of it.
 */
function benchPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The embedded PostgreSQL of this run, with pg_stat_statements loaded (for the time breakdowns). */
async function startBenchPostgres(dataDir: string): Promise<{ handle: EmbeddedPostgresHandle; postmasterPid: number; version: string }> {
  const first = await startEmbeddedPostgres({ dataDir });
  const client = new Client({ connectionString: first.url });
  await client.connect();
  await client.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  await client.end();
  await first.stop();
  const handle = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  const probe = new Client({ connectionString: handle.url });
  await probe.connect();
  const { rows } = await probe.query<{ version: string }>("SELECT current_setting('server_version') AS version");
  await probe.end();
  // The first line of postmaster.pid is the server's pid; its backends are its children.
  const postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { handle, postmasterPid, version: rows[0].version };
}

function serviceEnv(bench: Bench, databaseUrl: string, extra: Record<string, string>): Record<string, string> {
  return {
    ...bench.secrets,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    DATA_DIR: join(bench.work, 'service'),
    EVENTSTORE_URL: '',
    HOST: '127.0.0.1',
    PORT: '0',
    // One bench user sends what many staff members would: the per-user limit would answer 429.
    RATE_LIMIT_PER_MINUTE: '0',
    ...extra,
  };
}

/**
 * A source of dossiers: realistic histories 1..`lastIndex` (those the rules let through), then
 * `pool` dossiers of the lifecycle pool. The ids of the realistic ones go to `loaded`.
 */
function dossierSource(
  bench: Bench,
  options: { lastIndex: number; pool: number; seed: number; reserved: Set<string>; loaded?: LoadedDossier[] },
): () => BenchDossier | undefined {
  const realistic = new RealisticDossiers(bench.writer(options.seed, options.reserved), options.seed, bench.today);
  const poolWriter = bench.writer(options.seed + 1, options.reserved);
  let index = 1;
  let poolIndex = 0;
  return () => {
    while (index <= options.lastIndex) {
      const dossier = realistic.dossier(index++);
      if (dossier && dossier.rows.length > 0) {
        const registration = dossier.rows.find((row) => row.type === 'DossierRegistered')!;
        options.loaded?.push({ id: dossier.dossierId, recordedAt: registration.recordedAt });
        return dossier;
      }
    }
    if (poolIndex < options.pool) {
      const i = poolIndex++;
      return poolWriter.write(`pool/${i}`, bench.pool.registration(i), []);
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/**
 * `work` with a CPU profile of the service (BENCH_PROFILE=1), and with `heapEvents` a sampling heap
 * profile too: `'queries'` for the queries (V8's sampler every 4 KiB on average), else the events a
 * catch-up or a rebuild applies, which set a coarser interval (`heapSamplingInterval`: sampled
 * every 4 KiB, a catch-up's profile ran the service out of its bounded heap).
 */
async function withProfile<T>(
  bench: Bench,
  service: BenchChild<ServiceReady>,
  name: string,
  work: () => Promise<T>,
  heapEvents?: number | 'queries',
): Promise<T> {
  if (!bench.run.config.profile) return work();
  const heapSampling = heapEvents === undefined ? undefined : heapEvents === 'queries' ? QUERIES_HEAP_SAMPLING_BYTES : heapSamplingInterval(heapEvents);
  await service.request({ type: 'profile-start', heapSamplingInterval: heapSampling });
  try {
    return await work();
  } finally {
    const dir = join(RESULTS_DIR, `profiles-${resultsFileName(bench.run.startedAt).replace(/\.json$/, '')}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    const heapFile = heapSampling === undefined ? undefined : join(dir, `${name}.heapprofile`);
    await service.request({ type: 'profile-stop', file, heapFile });
    const places = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    bench.run.details[`profile-${name}`] = { file, places };
    bench.run.log(`CPU profile of the service: ${file}; ${places.slice(0, 6).map((p) => `${p.place} ${p.percent}%`).join(', ')}`);
    if (heapFile) {
      const heap = JSON.parse(readFileSync(heapFile, 'utf8')) as HeapProfile;
      const allocations = summariseHeapProfile(heap);
      // A rebuild's or the catch-up's bytes an event, by site, set beside the collector's time in the CPU profile.
      const sites = topAllocationSites(heap);
      bench.run.details[`heap-profile-${name}`] = { file: heapFile, samplingIntervalBytes: heapSampling, allocations, sites };
      bench.run.log(`heap allocations of the service: ${heapFile}; ${allocations.slice(0, 8).map((p) => `${p.place} ${p.percent}%`).join(', ')}`);
      bench.run.log(`top allocation sites: ${sites.slice(0, 6).map((s) => `${s.site} ${s.percent}%`).join(', ')}`);
    }
  }
}

async function measureCommands(
  bench: Bench,
  label: string,
  service: BenchChild<ServiceReady>,
  store: EventStore,
  statements: StatementStats | undefined,
  registrationOffset: number,
  /** With the projections in a projector of their own (its CPU counted apart), and the pool dossiers an earlier run left untouched. */
  options: { projector?: BenchChild<unknown>; firstIndex?: number } = {},
): Promise<CommandsMeasured> {
  const { config } = bench.run;
  const before = await store.headPosition();
  await statements?.reset();
  const measured = await bench.cpu(
    service,
    () =>
    service.measured(() =>
      withProfile(bench, service, `commands-${label}`, async () =>
        runCommands({
          baseUrl: `http://127.0.0.1:${service.ready.port}`,
          staffToken: await bench.token('staff'),
          pool: bench.pool,
          poolSize: config.poolDossiers,
          firstIndex: options.firstIndex,
          connections: config.connections,
          durationSeconds: config.durationSeconds,
          today: bench.today,
          registrationEvery: 4,
          registrationOffset,
          runLabel: `${label}-${bench.run.startedAt.getTime()}`,
        }),
      ),
    ),
    options.projector ? { projector: options.projector.pid } : {},
  );
  const after = await store.headPosition();
  const { result, peakRssMb } = measured.result;
  // The run's events: those appended after its start, up to the head at its end.
  const written = (await readAllFrom(store, before)).filter((event) => comparePositions(event.position, after) <= 0);
  const events = written.length;
  const eventsPerSecond = round(perSecond(events, result.seconds * 1000), 1);
  const postgresStatements = await statements?.read();
  const perCommand = (total: number) => round(total / Math.max(1, result.requests), 2);
  const cost = {
    serviceCpuMs: perCommand(measured.cpu.cpuSeconds.service * 1000),
    postgresCpuMs: perCommand(measured.cpu.cpuSeconds.postgres * 1000),
    projectorCpuMs: options.projector ? perCommand(measured.cpu.cpuSeconds.projector * 1000) : undefined,
    // Every statement of the database in the run, the in-process projections' included.
    postgresStatements: postgresStatements ? perCommand(postgresStatements.calls) : undefined,
  };
  bench.run.details[`commands-${label}`] = { ...result, events, eventsPerSecond, peakRssMb, cpu: measured.cpu, perCommand: cost, postgresStatements };
  bench.run.log(
    `commands (${label}): ${result.requests} requests in ${result.seconds} s = ${result.commandsPerSecond}/s, ${events} events = ${eventsPerSecond}/s, ` +
      `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, statuses ${JSON.stringify(result.statusCodes)}`,
  );
  return { result, written, eventsPerSecond, peakRssMb, from: before, to: after, perCommand: cost };
}

interface CommandsMeasured {
  readonly result: CommandRunResult;
  readonly written: readonly RecordedEvent[];
  readonly eventsPerSecond: number;
  readonly peakRssMb: number;
  readonly from: LogPosition;
  readonly to: LogPosition;
  /** CPU milliseconds of the service, of PostgreSQL and of a projector of its own, and PostgreSQL statements, per command. */
  readonly perCommand: { serviceCpuMs: number; postgresCpuMs: number; projectorCpuMs?: number; postgresStatements?: number };
}

async function readAllFrom(store: EventStore, after: LogPosition, prefixes?: readonly string[]) {
  const events = [];
  let position = after;
  for (;;) {
    const page = await store.readAll({ after: position, maxCount: 500, streamPrefixes: prefixes });
    if (page.length === 0) return events;
    events.push(...page);
    position = page[page.length - 1].position;
  }
}

function commandFigures(bench: Bench, scenario: string, measured: CommandsMeasured, ceiling: CeilingResult, note?: string): void {
  const { result, eventsPerSecond, perCommand } = measured;
  const r = ratio(eventsPerSecond, ceiling.rowsPerSecond);
  bench.run.figure({
    scenario,
    figure: `throughput, ${bench.run.config.connections} connections`,
    value: eventsPerSecond,
    unit: 'events/s',
    ceiling: ceiling.rowsPerSecond,
    ratio: r,
    target: `>= ${COMMAND_RATIO_TARGET}x ceiling`,
    met: r === null ? null : r >= COMMAND_RATIO_TARGET,
    note: `${result.commandsPerSecond} commands/s${note ? `; ${note}` : ''}`,
  });
  bench.run.figure({ scenario, figure: 'latency p50', value: result.latency.p50, unit: 'ms', ceiling: ceiling.latency.p50 });
  bench.run.figure({ scenario, figure: 'latency p99', value: result.latency.p99, unit: 'ms', ceiling: ceiling.latency.p99 });
  bench.run.figure({ scenario, figure: 'service CPU per command', value: perCommand.serviceCpuMs, unit: 'ms' });
  if (perCommand.projectorCpuMs !== undefined) {
    bench.run.figure({ scenario, figure: 'projector CPU per command', value: perCommand.projectorCpuMs, unit: 'ms', note: 'the projections, in their own process' });
  }
  bench.run.figure({ scenario, figure: 'PostgreSQL CPU per command', value: perCommand.postgresCpuMs, unit: 'ms', note: 'all its processes' });
  if (perCommand.postgresStatements !== undefined) {
    bench.run.figure({
      scenario,
      figure: 'PostgreSQL statements per command',
      value: perCommand.postgresStatements,
      unit: '',
      note: 'every statement of the database, in-process projections included',
    });
  }
}

/** The store alone (scenarios/store-appends.ts) beside the command scenario's ceiling. */
function storeAppendFigures(bench: Bench, label: string, appends: CeilingResult, ceiling: CeilingResult): void {
  const scenario = `appends through the store (${label}, in process, no HTTP)`;
  bench.run.details[`store-appends-${label}`] = appends;
  bench.run.log(`store appends (${label}): ${appends.rows} read-then-appends at ${bench.run.config.connections} = ${appends.rowsPerSecond}/s, p99 ${appends.latency.p99} ms`);
  bench.run.figure({
    scenario,
    figure: `read, then append at the version read, ${bench.run.config.connections} writers`,
    value: appends.rowsPerSecond,
    unit: 'events/s',
    ceiling: ceiling.rowsPerSecond,
    ratio: ratio(appends.rowsPerSecond, ceiling.rowsPerSecond),
  });
  bench.run.figure({ scenario, figure: 'latency p99', value: appends.latency.p99, unit: 'ms', ceiling: ceiling.latency.p99 });
}

/**
 * Vacuums and analyzes the read models, as autovacuum would have left them in a store in service,
 * then has PostgreSQL write out what the load, the catch-up and the vacuum left dirty.
 */
async function vacuumReadModels(pool: Pool): Promise<void> {
  // Otherwise the queries share the cores with autovacuum and are planned blind.
  for (const { tablename } of (await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'read_models'`)).rows) {
    await pool.query(`VACUUM ANALYZE read_models.${tablename}`);
  }
  // Otherwise the queries meet a checkpoint writing that out (gigabytes at 300,000 dossiers and up,
  // growing with them), and every dossier read's commit waits behind it for its WAL flush: a store
  // in service writes out as it goes (bench/README.md, "what a dossier read grows with").
  await pool.query('CHECKPOINT');
}

/**
 * The query scenario on a caught-up service: its read models vacuumed, then each kind of query
 * in turn. Figures p50/p99 per kind under `queries (<n> dossiers)`.
 */
async function queryScenario(
  bench: Bench,
  service: BenchChild<ServiceReady>,
  pool: Pool,
  statements: StatementStats,
  size: number,
  loaded: readonly LoadedDossier[],
): Promise<{ figures: QueryFigure[]; details: Record<string, unknown> }> {
  const { run } = bench;
  const dossiers = size.toLocaleString('en-US');
  await vacuumReadModels(pool);
  run.mark(`vacuum of the read models (${dossiers} dossiers)`);
  await statements.reset();
  const tokens = { staff: await bench.token('staff'), analyst: await bench.token('analyst') };
  // The answers are timed by a client in a process of its own, which holds nothing else: in this
  // process the data set's heap made collections of up to 173 ms during the timed answers at
  // 1,000,000 dossiers (bench/README.md, "The queries timed from a process of their own").
  const client = await QueryClient.start();
  try {
    // The bench's garbage from loading, collected before the queries (collectGarbage): its
    // collections no longer pause the timing, but one of a heap this size takes a core from the
    // service and PostgreSQL while it runs.
    collectGarbage();
    await service.request({ type: 'pauses-start' });
    const mainPauses = new PauseRecorder(undefined, false);
    mainPauses.start();
    const queries = await bench.cpu(
      service,
      () =>
        service.measured(() =>
          withProfile(
            bench,
            service,
            `queries-${size}`,
            () =>
              client.time(
                {
                  baseUrl: `http://127.0.0.1:${service.ready.port}`,
                  kinds: { today: bench.today, tokens, dossiers: dossiersAsked(loaded, requestsPerKind(run.config.querySamples)), only: run.config.queryKinds },
                  samples: run.config.querySamples,
                  budgetMs: run.config.queryBudgetSeconds * 1000,
                  probe: { servicePid: service.pid, postmasterPid: bench.postmasterPid },
                },
                (q) => run.log(`query ${q.name} at ${dossiers} dossiers: p50 ${q.p50} ms, p99 ${q.p99} ms (${q.count} requests, ${q.bytes} bytes)`),
              ),
            'queries',
          ),
        ),
      { 'query client': client.pid },
    );
    const { timeline, ...pauses } = await service.request<Pauses>({ type: 'pauses-stop' });
    const { gc: benchMainGc } = mainPauses.stop();
    // "The bench's own" collections are the client's, which times the answers.
    const { figures: timed, pauses: clientPauses } = queries.result.result;
    const { timeline: benchTimeline, gc: benchGc } = clientPauses;
    const benchCollections = benchTimeline.collections;
    const tails = Object.fromEntries(
      timed.map((q) => {
        const tail = tailOf(q.answers, timeline, benchCollections, q.waits);
        return [q.name, { ...tail, slowestPaths: tail.slowestIndex.map((i) => q.paths[i]) }];
      }),
    );
    for (const [name, tail] of Object.entries(tails)) {
      run.log(
        `tail of ${name} at ${dossiers} dossiers: the ${tail.slowest} slowest (${tail.slowestMs.join(', ')} ms) took ${tail.slowestServiceMs.join(', ')} ms in the service ` +
          `(p50 ${tail.serviceP50Ms} ms); ${tail.slowestMetServiceGc} met a collection of the service (${tail.slowestServiceGcMs.join(', ')} ms of it; ` +
          `${Math.round(tail.allMetServiceGc * 100)}% of all answers met one), ` +
          `${tail.slowestMetBenchGc} one of the bench (${Math.round(tail.allMetBenchGc * 100)}%); ${tail.overTwiceP50} answers over twice the p50; they asked ${tail.slowestPaths.join(" ")}`,
      );
    }
    run.log(
      `service pauses during the queries at ${dossiers} dossiers: ${pauses.gc.count} garbage collections (${pauses.gc.over5Ms} of 5 ms or more, longest ` +
        `${pauses.gc.maxMs} ms, ${pauses.gc.totalMs} ms in all); ${pauses.gc.allocatedMiB} MiB allocated, ` +
        `${Math.round((pauses.gc.allocatedMiB * 1024) / Math.max(1, timeline.requests.length))} KiB per request (${timeline.requests.length}); ` +
        `young generation up to ${pauses.gc.newSpaceMiB} MiB, a scavenge leaving ${pauses.gc.scavengeSurvivedKiB} KiB in it and promoting ${pauses.gc.scavengePromotedKiB} KiB on average; event-loop delay p99 ${pauses.eventLoopDelay.p99} ms, max ${pauses.eventLoopDelay.max} ms; ` +
        `memory at the start ${JSON.stringify(pauses.memory.atStart)} MiB, at the end ${JSON.stringify(pauses.memory.atEnd)} MiB`,
    );
    run.log(
      `the bench's own collections meanwhile (its query client, which times the answers): ${benchGc.count} (${JSON.stringify(benchGc.byKind)}), ${benchGc.allocatedMiB} MiB allocated, ` +
        `${Math.round((benchGc.allocatedMiB * 1024) / Math.max(1, timeline.requests.length))} KiB per request, its heap ${clientPauses.memory.atEnd.heapUsed} MiB at the end; ` +
        `the bench's main process (timing nothing): ${benchMainGc.count} (${JSON.stringify(benchMainGc.byKind)})`,
    );
    const scenario = `queries (${dossiers} dossiers)`;
    const figures = timed.map(({ answers: _answers, paths: _paths, waits: _waits, ...figure }) => figure);
    for (const q of figures) {
      const target = q.class === 'single-dossier' ? SINGLE_DOSSIER_P99_TARGET_MS : q.class === 'list' ? LIST_P99_TARGET_MS : STATISTICS_P99_TARGET_MS;
      run.figure({ scenario, figure: `${q.name} p50`, value: q.p50, unit: 'ms' });
      run.figure({ scenario, figure: `${q.name} p99`, value: q.p99, unit: 'ms', target: `<= ${target} ms`, met: q.p99 <= target, note: `${q.count} requests` });
    }
    run.figure({ scenario: 'memory', figure: `service peak RSS, queries (${dossiers} dossiers)`, value: queries.result.peakRssMb, unit: 'MiB' });
    const postgresStatements = await statements.read(10);
    // After the queries (the same dossiers, as warm as they left them): what the store alone takes of a dossier read.
    const readCeiling = figures.some((q) => q.class === 'single-dossier')
      ? await dossierReadCeiling(pool.options.connectionString!, bench.appConfig, dossiersAsked(loaded, run.config.querySamples).map((dossier) => dossier.id))
      : undefined;
    if (readCeiling) for (const figure of dossierReadCeilingFigures(scenario, readCeiling)) run.figure(figure);
    return {
      figures: timed,
      details: {
        figures,
        peakRssMb: queries.result.peakRssMb,
        pauses,
        benchGc,
        benchMainGc,
        queryClientMemory: clientPauses.memory,
        tails,
        cpu: queries.cpu,
        postgresStatements,
        readCeiling,
      },
    };
  } finally {
    await client.stop();
  }
}

/**
 * A growth step: `size` realistic dossiers (the first `size` of the same histories) in a
 * database of their own, caught up by a service of their own, then the query scenario. The
 * database is dropped afterwards.
 */
async function growthStep(bench: Bench, size: number): Promise<void> {
  const { run } = bench;
  const name = `bench_growth_${size}`;
  const databaseUrl = await createDatabase(bench.serverUrl, name);
  const migrated = await openRuntime(loadConfig(serviceEnv(bench, databaseUrl, {})));
  await migrated.close();
  const pool = benchPool(databaseUrl, 4);
  const statements = new StatementStats(pool);
  const loaded: LoadedDossier[] = [];
  let service: BenchChild<ServiceReady> | undefined;
  try {
    await statements.install();
    run.log(`growth step: loading ${size} realistic dossiers into ${name}`);
    const load = await loadIntoPostgres(pool, dossierSource(bench, { lastIndex: size, pool: 0, seed: run.config.seed, reserved: new Set(), loaded }), {
      blockDossiers: 25_000,
    });
    await pool.query(`VACUUM ANALYZE event_store.events`);
    await pool.query(`VACUUM ANALYZE ${PERSONAL_DATA_KEYS_TABLE}`);
    service = await startService(serviceEnv(bench, databaseUrl, { PROJECTIONS_IN_PROCESS: 'true' }), bench.run.config);
    const started = performance.now();
    await service.request<CaughtUp>({ type: 'caught-up', timeoutMs: 60 * 60_000 });
    run.log(`growth step: ${load.events} events caught up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    run.mark(`growth step ${size}: load and catch-up`);
    const queries = await queryScenario(bench, service, pool, statements, size, loaded);
    run.details[`queries-${size}`] = { dossiers: size, load, ...queries.details };
    bench.growth.push({ dossiers: size, figures: queries.figures });
    run.mark(`growth step ${size}: queries`);
  } finally {
    await service?.stop();
    await pool.end();
    const client = new Client({ connectionString: bench.serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name}`).finally(() => client.end());
  }
}

/** Each query's p50 / p99 per data-set size, smallest first: how the cost grows with the dossiers. */
function formatGrowthTable(steps: readonly GrowthStep[]): string {
  const sorted = [...steps].sort((a, b) => a.dossiers - b.dossiers);
  const names = [...new Set(sorted.flatMap((step) => step.figures.map((f) => f.name)))];
  const header = ['query (p50 / p99 ms)', ...sorted.map((step) => `${step.dossiers.toLocaleString('en-US')} dossiers`)];
  const rows = names.map((name) => [
    name,
    ...sorted.map((step) => {
      const figure = step.figures.find((f) => f.name === name);
      return figure ? `${figure.p50} / ${figure.p99}` : '';
    }),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Phases
// ---------------------------------------------------------------------------------------------

async function postgresPhase(bench: Bench): Promise<void> {
  const { run } = bench;
  const { config } = run;
  const databaseUrl = await createDatabase(bench.serverUrl, 'bench_pg');
  const migrated = await openRuntime(loadConfig(serviceEnv(bench, databaseUrl, {})));
  await migrated.close();
  const pool = benchPool(databaseUrl, 4);
  const statements = new StatementStats(pool);
  await statements.install();
  const store = await PostgresEventStore.connect(databaseUrl);
  const reserved = new Set<string>();
  const loaded: LoadedDossier[] = [];
  let service: BenchChild<ServiceReady> | undefined;
  try {
    // Scenario data: the realistic dossiers of the query scenario, and the pool of the command scenario.
    run.log(`loading ${config.dossiers} realistic dossiers and ${config.poolDossiers} pool dossiers into PostgreSQL`);
    const load = await loadIntoPostgres(pool, dossierSource(bench, { lastIndex: config.dossiers, pool: config.poolDossiers, seed: config.seed, reserved, loaded }), {
      blockDossiers: 25_000,
      onProgress: (events) => run.log(`  ${events} events written`),
    });
    await pool.query(`VACUUM ANALYZE event_store.events`);
    await pool.query(`VACUUM ANALYZE ${PERSONAL_DATA_KEYS_TABLE}`);
    run.details['load-queries'] = load;
    run.mark('load query data set');
    run.log(`loaded ${load.dossiers} dossiers, ${load.events} events in ${(load.milliseconds / 1000).toFixed(1)} s`);
    const dossierEvents = Number(
      (await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM event_store.events WHERE stream_id LIKE 'dossier-%'`)).rows[0].n,
    );

    // Scenario 2, part one: the projections catch up from empty read models, all together
    // (left out by BENCH_REBUILDS without catch-up, in a run of the rebuilds alone).
    if (config.rebuilds.includes('catch-up')) service = await catchUpScenario(bench, databaseUrl, pool, statements, dossierEvents);
    else run.log('catch-up from empty: not run (BENCH_REBUILDS)');

    // Ran, since BENCH_REBUILDS leaves the catch-up out only with BENCH_REBUILDS_ONLY=1 (config.ts).
    if (!config.rebuildsOnly) await queriesAndCommands(bench, databaseUrl, service!, store, pool, statements, loaded);
    if (config.queriesOnly) return;
    await service?.stop();
    service = undefined;

    // Scenario 2, part two: the log topped up to `events`, then each projection rebuilt (those BENCH_REBUILDS names).
    if (!REBUILT_PROJECTIONS.some((name) => config.rebuilds.includes(name))) return;
    const head = Number((await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM event_store.events')).rows[0].n);
    if (head < config.events) {
      run.log(`topping the store up from ${head} to ${config.events} events`);
      const topUp = await loadIntoPostgres(
        pool,
        dossierSource(bench, { lastIndex: Number.MAX_SAFE_INTEGER, pool: 0, seed: config.seed + 100, reserved }),
        { blockDossiers: 25_000, untilEvents: config.events, onProgress: (events) => run.log(`  ${head + events} events in the store`) },
      );
      run.details['load-rebuild'] = topUp;
      await pool.query(`VACUUM ANALYZE event_store.events`);
      run.log(`topped up with ${topUp.dossiers} dossiers, ${topUp.events} events in ${(topUp.milliseconds / 1000).toFixed(1)} s`);
    }
    run.mark('top-up to the rebuild log');
    await rebuildScenario(bench, databaseUrl, store, pool, statements);
  } finally {
    await service?.stop();
    await store.close();
    await pool.end();
  }
}

/** The projections' catch-up from empty read models, all together, in a service started for it; returns the service, caught up. */
async function catchUpScenario(
  bench: Bench,
  databaseUrl: string,
  pool: Pool,
  statements: StatementStats,
  dossierEvents: number,
): Promise<BenchChild<ServiceReady>> {
  const { run } = bench;
  const activityBefore = await activitySnapshot(pool);
  await statements.reset();
  const service = await startService(serviceEnv(bench, databaseUrl, { PROJECTIONS_IN_PROCESS: 'true' }), bench.run.config);
  try {
    run.log(`service started (pid ${service.pid}, port ${service.ready.port}); projections catching up on ${dossierEvents} dossier events`);
    const catchUp = await bench.cpu(service, () =>
      service.measured(() => withProfile(bench, service, 'catch-up', () => service.request<CaughtUp>({ type: 'caught-up', timeoutMs: 60 * 60_000 }), dossierEvents)),
    );
    const { result: caughtUp, peakRssMb: catchUpRss } = catchUp.result;
    const perProjection = caughtUp.finished.map((f) => ({ name: f.name, ok: f.ok, seconds: (f.at - caughtUp.startedAt) / 1000 }));
    const allSeconds = Math.max(...perProjection.map((p) => p.seconds));
    run.details['catch-up'] = {
      dossierEvents,
      perProjection,
      peakRssMb: catchUpRss,
      memoryWhenCaughtUp: caughtUp.memory,
      cpu: catchUp.cpu,
      // Sixteen, as for the rebuilds: the three projections' COPYs and the log's reads side by side.
      postgresStatements: await statements.read(16),
      postgresActivity: activityChanges(activityBefore, await activitySnapshot(pool, { afterIdleReports: true })),
    };
    run.log(`caught up in ${allSeconds.toFixed(1)} s: ${perProjection.map((p) => `${p.name} ${p.seconds.toFixed(1)} s`).join(', ')}`);
    run.mark('service start and catch-up');
    const catchUpRate = round(perSecond(dossierEvents, allSeconds * 1000));
    run.figure({
      scenario: 'rebuild (PostgreSQL)',
      figure: 'all projections together: catch-up from empty',
      value: catchUpRate,
      unit: 'events/s',
      target: `>= ${CATCH_UP_TARGET.toLocaleString('en-US')} events/s`,
      met: catchUpRate >= CATCH_UP_TARGET,
      note: `${dossierEvents.toLocaleString('en-US')} events, live runners, ${allSeconds.toFixed(1)} s`,
    });
    cpuAllows(bench, 'rebuild (PostgreSQL)', 'all projections together: catch-up from empty', catchUp.cpu, dossierEvents, CATCH_UP_TARGET);
    postgresCpuByKind(bench, 'rebuild (PostgreSQL)', 'all projections together: catch-up from empty', catchUp.cpu);
    const left = caughtUp.memory;
    run.figure({
      scenario: 'memory',
      figure: 'service peak RSS, catch-up',
      value: catchUpRss,
      unit: 'MiB',
      note: left ? `caught up: resident ${left.rss} MiB, heap used ${left.heapUsed} / committed ${left.heapCommitted}` : undefined,
    });
    return service;
  } catch (error) {
    await service.stop();
    throw error;
  }
}

/** The query scenario on the loaded data set, then the commands (in the service, then with a projector of its own) beside their ceilings. */
async function queriesAndCommands(
  bench: Bench,
  databaseUrl: string,
  service: BenchChild<ServiceReady>,
  store: EventStore,
  pool: Pool,
  statements: StatementStats,
  loaded: LoadedDossier[],
): Promise<void> {
  const { run } = bench;
  const { config } = run;
  const queries = await queryScenario(bench, service, pool, statements, config.dossiers, loaded);
  run.details.queries = { dossiers: config.dossiers, ...queries.details };
  bench.growth.push({ dossiers: config.dossiers, figures: queries.figures });
  run.mark('queries');
  if (config.queriesOnly) return;

  // Scenario 1: commands over HTTP, then the same rows straight into PostgreSQL.
  const commands = await measureCommands(bench, 'postgres', service, store, statements, 0);
  const ceiling = await postgresInsertCeiling(databaseUrl, commands.from, commands.to, config.connections);
  run.details['commands-postgres-ceiling'] = ceiling;
  run.log(`ceiling: ${ceiling.rows} rows one transaction each at ${config.connections} = ${ceiling.rowsPerSecond}/s (p50 ${ceiling.latency.p50} ms, p99 ${ceiling.latency.p99} ms)`);
  commandFigures(bench, 'commands over HTTP (PostgreSQL)', commands, ceiling);
  run.figure({ scenario: 'memory', figure: 'service peak RSS, commands (PostgreSQL)', value: commands.peakRssMb, unit: 'MiB' });
  await service.stop();
  await projectorCommands(bench, databaseUrl, store, statements, commands, ceiling);
  storeAppendFigures(bench, 'PostgreSQL', await storeAppends(store, commands.written, config.connections, 'store-bench-'), ceiling);
  run.mark('commands (PostgreSQL) and ceiling');
}

/**
 * The command scenario again with the projections in a projector of their own
 * (PROJECTIONS_IN_PROCESS=false and apps/projector beside the service, as a deployment that
 * wants command throughput runs them), on the pool dossiers the first run left untouched, beside
 * the same ceiling. The projector's CPU is counted apart: on these two cores it still competes.
 */
async function projectorCommands(
  bench: Bench,
  databaseUrl: string,
  store: EventStore,
  statements: StatementStats,
  inProcess: CommandsMeasured,
  ceiling: CeilingResult,
): Promise<void> {
  const { run } = bench;
  const scenario = 'commands over HTTP (PostgreSQL, projector in its own process)';
  const left = run.config.poolDossiers - inProcess.result.nextFresh;
  // Fewer untouched dossiers than the first run took would run out before the time is up.
  if (left < inProcess.result.nextFresh) {
    run.notes.push(`${scenario}: not measured, ${left} untouched pool dossiers left (BENCH_POOL_DOSSIERS=${run.config.poolDossiers} is too few for two runs).`);
    return;
  }
  const env = serviceEnv(bench, databaseUrl, { PROJECTIONS_IN_PROCESS: 'false' });
  const projector = await startProjector(env);
  const service = await startService(env, bench.run.config);
  try {
    await projector.request<CaughtUp>({ type: 'caught-up', timeoutMs: 10 * 60_000 });
    // Registrations 25,000 on: national register numbers of their own (serial 999), none the first run reserved.
    const measured = await measureCommands(bench, 'postgres-projector', service, store, statements, 25_000, {
      projector,
      firstIndex: inProcess.result.nextFresh,
    });
    commandFigures(bench, scenario, measured, ceiling);
    run.figure({ scenario: 'memory', figure: 'service peak RSS, commands (PostgreSQL, projector in its own process)', value: measured.peakRssMb, unit: 'MiB' });
  } finally {
    await service.stop();
    await projector.stop();
  }
  run.mark('commands (PostgreSQL, projector in its own process)');
}

async function rebuildScenario(bench: Bench, databaseUrl: string, store: EventStore, pool: Pool, statements: StatementStats): Promise<void> {
  const { run } = bench;
  const { config } = run;
  const total = Number((await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM event_store.events')).rows[0].n);
  const dossierEvents = Number(
    (await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM event_store.events WHERE stream_id LIKE 'dossier-%'`)).rows[0].n,
  );
  // Ceiling: the same read a rebuild makes (pages of the batch size, dossier streams), without applying anything.
  // Its CPU seconds (PostgreSQL's, and the bench's decoding the rows as the service would) are the
  // part of any rebuild's CPU that no fold can save: the two-core budget below starts from them.
  const { result: read, cpu: readCpu } = await bench.cpu(undefined, () => readCeiling(store, DEFAULT_PROJECTION_BATCH_SIZE));
  run.details['rebuild-postgres-read-ceiling'] = { ...read, storeEvents: total, cpu: readCpu };
  run.log(`read ceiling: ${read.events} dossier events in ${(read.milliseconds / 1000).toFixed(1)} s = ${read.eventsPerSecond}/s`);
  run.mark('read ceiling');

  const service = await startService(serviceEnv(bench, databaseUrl, { PROJECTIONS_IN_PROCESS: 'false' }), bench.run.config);
  try {
    // Those BENCH_REBUILDS names, one at a time. All together is the catch-up from empty measured
    // before (a rebuild of all three side by side would only split the same two cores three ways
    // within the same budget).
    const runs = REBUILT_PROJECTIONS.filter((name) => config.rebuilds.includes(name)).map((name) => ({ label: name, names: [name] }));
    const rebuilds: Record<string, unknown> = {};
    for (const { label, names: these } of runs) {
      await statements.reset();
      const measured = await bench.cpu(service, () =>
        service.measured(() =>
          withProfile(bench, service, `rebuild-${label.replace(/\s+/g, '-')}`, () =>
            service.request<RebuildFigure[]>({ type: 'rebuild', names: these, budgetMs: config.rebuildBudgetSeconds * 1000 }),
            dossierEvents,
          ),
        ),
      );
      const figures = measured.result.result;
      const applied = these.length === 1 ? figures[0].applied : Math.min(...figures.map((f) => f.applied));
      const milliseconds = Math.max(...figures.map((f) => f.milliseconds));
      const completed = figures.every((f) => f.completed);
      const rate = round(perSecond(applied, milliseconds));
      // Sixteen: a rebuild's keys and indexes built after its rows show beside its COPYs.
      rebuilds[label] = { figures, peakRssMb: measured.result.peakRssMb, cpu: measured.cpu, postgresStatements: await statements.read(16) };
      const estimate = rate > 0 ? dossierEvents / rate : Infinity;
      run.figure({
        scenario: `rebuild (PostgreSQL, ${total.toLocaleString('en-US')} events)`,
        figure: label,
        value: rate,
        unit: 'events/s',
        ceiling: read.eventsPerSecond,
        ratio: ratio(rate, read.eventsPerSecond),
        target: `>= ${REBUILD_TARGET.toLocaleString('en-US')} events/s`,
        // A rebuild stopped at the budget is never met: a one-pass writer may leave its work to its
        // last flush (flow-statistics folds its staged events there), which a stopped one never reaches.
        met: completed && rate >= REBUILD_TARGET,
        note: completed
          ? `complete: ${applied.toLocaleString('en-US')} events in ${(milliseconds / 1000).toFixed(1)} s`
          : `NOT COMPLETE, so not met: first ${applied.toLocaleString('en-US')} events folded in ${(milliseconds / 1000).toFixed(1)} s (budget), ` +
            `without what the writer leaves to its last flush; whole log extrapolated: ~${Math.round(estimate)} s`,
      });
      cpuAllows(bench, `rebuild (PostgreSQL, ${total.toLocaleString('en-US')} events)`, label, measured.cpu, applied, REBUILD_TARGET);
      postgresCpuByKind(bench, `rebuild (PostgreSQL, ${total.toLocaleString('en-US')} events)`, label, measured.cpu);
      run.figure({ scenario: 'memory', figure: `service peak RSS, rebuild ${label}`, value: measured.result.peakRssMb, unit: 'MiB' });
      run.log(`rebuild ${label}: ${applied} events in ${(milliseconds / 1000).toFixed(1)} s = ${rate}/s${completed ? '' : ' (stopped at the budget)'}`);
    }
    run.details['rebuild-postgres'] = { storeEvents: total, dossierEvents, budgetSeconds: config.rebuildBudgetSeconds, runs: rebuilds };
  } finally {
    await service.stop();
  }
  run.mark('rebuilds');
  const completed = (run.details['rebuild-postgres'] as { runs: Record<string, { figures: RebuildFigure[] }> }).runs;
  const floors: Record<string, number> = {};
  for (const projection of REBUILT_PROJECTIONS) {
    if (!config.rebuilds.includes(projection)) continue;
    if (completed[projection]?.figures[0].completed) floors[projection] = await rebuildFloor(bench, pool, dossierEvents, readCpu, projection, FLOOR_TABLES[projection]);
    else run.log(`${projection} floor: not measured (its rebuild stopped at the budget, so the live tables do not hold the whole log)`);
  }
  if (Object.keys(floors).length === Object.keys(FLOOR_TABLES).length) {
    // The catch-up reads the log once per projection today; once is all it must.
    const perEvent = (readCpu.cpuSeconds.postgres + readCpu.cpuSeconds.bench + Object.values(floors).reduce((sum, seconds) => sum + seconds, 0)) / dossierEvents;
    const budget = 2 / CATCH_UP_TARGET;
    run.figure({
      scenario: 'rebuild (PostgreSQL)',
      figure: `catch-up: CPU left for the three folds at ${CATCH_UP_TARGET.toLocaleString('en-US')} events/s on two cores`,
      value: round((budget - perEvent) * 1e6),
      unit: 'µs/event',
      note: `two cores give ${round(budget * 1e6)} µs an event; reading the log once and PostgreSQL taking the three projections' final rows take ${round(perEvent * 1e6)} (this log's rebuild floors)`,
    });
  }
}

/**
 * Beside a rate, the most its measured CPU would allow on two cores perfectly overlapped
 * (rateTheCpuAllows): where that is below the target, the README can say why from this run alone.
 */
function cpuAllows(bench: Bench, scenario: string, label: string, cpu: MeasuredCpu, events: number, target: number): void {
  const { service, postgres } = cpu.cpuSeconds;
  const allowed = rateTheCpuAllows({ service, postgres }, events);
  const perEvent = ((service + postgres) * 1e6) / events;
  bench.run.figure({
    scenario,
    figure: `${label}: the most its CPU allows on two cores`,
    value: allowed,
    unit: 'events/s',
    note:
      `service ${service} s + PostgreSQL ${postgres} s of CPU for ${events.toLocaleString('en-US')} events = ${round(perEvent)} µs an event; ` +
      `${target.toLocaleString('en-US')} events/s on two cores allow ${round(2e6 / target)}` +
      (allowed < target ? `: the target needs ${round(perEvent / (2e6 / target), 1)}x less CPU an event` : ''),
  });
}

/** PostgreSQL's CPU in a stretch by kind of process (`postgresByKind`), with how many of each ran, in the printed table. */
function postgresCpuByKind(bench: Bench, scenario: string, label: string, cpu: MeasuredCpu): void {
  const { byKind, processes, seconds, aliveAtEndSeconds, clientBackendsByActivity } = cpu.postgresByKind;
  const activities = Object.entries(clientBackendsByActivity).slice(0, 5);
  const counted = (kind: string) => (processes[kind] && processes[kind].count > 1 ? ` (${processes[kind].count} processes, ${processes[kind].ended} ended)` : '');
  bench.run.figure({
    scenario,
    figure: `${label}: PostgreSQL's CPU`,
    value: seconds,
    unit: 's',
    note:
      Object.entries(byKind)
        .filter(([, kindSeconds]) => kindSeconds !== 0)
        .map(([kind, kindSeconds]) => `${kind} ${kindSeconds}${counted(kind)}`)
        .join(', ') +
      `; the client backends running ${activities.map(([activity, activitySeconds]) => `${activity} ${activitySeconds}`).join(', ')}` +
      `; the processes alive at the end alone: ${aliveAtEndSeconds}`,
  });
}

/** Each projection's tables, in the order a rebuild writes them. */
const FLOOR_TABLES: Record<RebuiltProjection, readonly string[]> = {
  'crt-registry': ['crt_dossiers', 'crt_stage_counts'],
  'flow-statistics': ['stat_person_attributes', 'stat_events', 'stat_dossier_periods', 'stat_date_counts', 'stat_flow_counts', 'stat_flow_days'],
  'dossier-archive': ['dossier_archive'],
};

/**
 * A floor for a projection's rebuild: the rows its complete rebuild left in the live tables,
 * read out beforehand in primary-key order (COPY TO, not timed), written again with COPY into empty copies of the
 * tables with their primary keys (as a rebuild writes them; secondary indexes are built after a
 * rebuild), in one transaction: the time PostgreSQL needs to take the rows alone, with nothing
 * computed, as events of the log per second. Also what the rebuild target leaves the fold on two
 * cores: the target's wall time twice over, less the CPU no fold can save (reading the log,
 * PostgreSQL taking the final rows; secondary indexes not counted, so the budget is generous).
 * Returns PostgreSQL's CPU seconds for the rows.
 */
async function rebuildFloor(
  bench: Bench,
  pool: Pool,
  dossierEvents: number,
  readCpu: MeasuredCpu,
  projection: string,
  tables: readonly string[],
): Promise<number> {
  const { run } = bench;
  const schema = 'bench_floor';
  const client = await pool.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    const texts = new Map<string, Buffer[]>();
    const rows: Record<string, number> = {};
    for (const table of tables) {
      await client.query(`CREATE TABLE ${schema}.${table} (LIKE read_models.${table} INCLUDING ALL)`);
      const secondary = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${schema}.${table}'::regclass AND NOT i.indisprimary`,
      );
      for (const { name } of secondary.rows) await client.query(`DROP INDEX ${schema}."${name}"`);
      // Read out in primary-key order, the order that costs the key least: the rebuild leaves its
      // rows in the order it wrote them (the flow statistics' in their dossiers' first business
      // day since the tenth session), and rows out of key order cost the key's upkeep during the
      // COPY more (PostgreSQL's CPU for the flow statistics' rows 19.8 → 28.0 s with nothing
      // else changed), which is not the least PostgreSQL needs to take them.
      // The columns COPY writes (not the generated ones, which SELECT * would add).
      const [{ columns, key }] = (
        await client.query<{ columns: string; key: string | null }>(
          `SELECT (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                    WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
                  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.n)
                     FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = t.oid AND i.indisprimary) AS key
             FROM (SELECT 'read_models.${table}'::regclass::oid AS oid) t`,
        )
      ).rows;
      const chunks: Buffer[] = [];
      const out = client.query(copyTo(`COPY (SELECT ${columns} FROM read_models.${table}${key ? ` ORDER BY ${key}` : ''}) TO STDOUT`));
      for await (const chunk of out) chunks.push(chunk as Buffer);
      texts.set(table, chunks);
      rows[table] = Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM read_models.${table}`)).rows[0].n);
    }
    const started = performance.now();
    // Each table's part too, to set beside the rebuild's statements of the same table.
    const postgresCpuPerTable: Record<string, number> = {};
    const { cpu } = await bench.cpu(undefined, async () => {
      await client.query('BEGIN');
      for (const table of tables) {
        const copied = await bench.cpu(undefined, () => pipeline(Readable.from(texts.get(table)!), client.query(copyFrom(`COPY ${schema}.${table} FROM STDIN`))));
        postgresCpuPerTable[table] = copied.cpu.cpuSeconds.postgres;
      }
      await client.query('COMMIT');
    });
    const milliseconds = performance.now() - started;
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    const rate = round(perSecond(dossierEvents, milliseconds));
    const allRows = Object.values(rows).reduce((sum, n) => sum + n, 0);
    run.details[`rebuild-postgres-${projection}-floor`] = { dossierEvents, rows, milliseconds: Math.round(milliseconds), cpu, postgresCpuPerTable };
    run.figure({
      scenario: 'rebuild (PostgreSQL)',
      figure: `${projection} floor: its final rows alone, precomputed, written with COPY`,
      value: rate,
      unit: 'events/s',
      note: `${allRows.toLocaleString('en-US')} rows for ${dossierEvents.toLocaleString('en-US')} events in ${(milliseconds / 1000).toFixed(1)} s`,
    });
    run.log(`${projection} floor: ${allRows} rows (${JSON.stringify(rows)}) written with COPY in ${(milliseconds / 1000).toFixed(1)} s = ${rate} events/s`);
    const budget = (2 * dossierEvents) / REBUILD_TARGET;
    const unavoidable = readCpu.cpuSeconds.postgres + readCpu.cpuSeconds.bench + cpu.cpuSeconds.postgres;
    run.figure({
      scenario: 'rebuild (PostgreSQL)',
      figure: `${projection}: CPU left for the fold at ${REBUILD_TARGET.toLocaleString('en-US')} events/s on two cores`,
      value: round(((budget - unavoidable) * 1e6) / dossierEvents),
      unit: 'µs/event',
      note:
        `two cores x ${(budget / 2).toFixed(1)} s = ${budget.toFixed(1)} CPU s, less ${unavoidable.toFixed(1)} s that no fold saves ` +
        `(the read ceiling: PostgreSQL ${readCpu.cpuSeconds.postgres} s, decoding ${readCpu.cpuSeconds.bench} s; the floor's COPY: PostgreSQL ${cpu.cpuSeconds.postgres} s)`,
    });
    run.mark(`${projection} floor`);
    return cpu.cpuSeconds.postgres;
  } finally {
    client.release();
  }
}

/** Reads the whole log as a rebuild does (pages, dossier streams), applying nothing. */
async function readCeiling(store: EventStore, pageSize: number): Promise<{ events: number; milliseconds: number; eventsPerSecond: number }> {
  const started = performance.now();
  let position: LogPosition = START_OF_LOG;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ after: position, maxCount: pageSize, streamPrefixes: [DOSSIER_STREAM_PREFIX] });
    if (page.length === 0) break;
    events += page.length;
    position = page[page.length - 1].position;
  }
  const milliseconds = performance.now() - started;
  return { events, milliseconds: Math.round(milliseconds), eventsPerSecond: round(perSecond(events, milliseconds)) };
}

async function esdbPhase(bench: Bench): Promise<void> {
  const { run } = bench;
  const { config } = run;
  const testServer = await BenchChild.start<{ url: string }>('esdb-server-process.ts', process.env);
  const databaseUrl = await createDatabase(bench.serverUrl, 'bench_esdb');
  const env = serviceEnv(bench, databaseUrl, { EVENTSTORE_URL: testServer.ready.url, PROJECTIONS_IN_PROCESS: 'true' });
  const migrated = await openRuntime(loadConfig(env));
  await migrated.close();
  const pool = benchPool(databaseUrl, 4);
  const store = EventStoreDbEventStore.fromConnectionString(testServer.ready.url);
  const client = EventStoreDBClient.connectionString(testServer.ready.url);
  let service: BenchChild<ServiceReady> | undefined;
  const label = 'EventStoreDB test server';
  try {
    run.log(`EventStoreDB test server at ${testServer.ready.url}: loading the ${config.poolDossiers} pool dossiers`);
    const keys: BenchDossier[] = [];
    const reserved = new Set<string>();
    const source = dossierSource(bench, { lastIndex: 0, pool: config.poolDossiers, seed: config.seed, reserved });
    const poolLoad = await loadThroughStore(
      store,
      () => {
        const dossier = source();
        if (dossier?.wrappedKey) keys.push(dossier);
        return dossier;
      },
      { untilEvents: Number.MAX_SAFE_INTEGER, concurrency: 16 },
    );
    await insertKeys(pool, keys);
    run.details['load-esdb-pool'] = poolLoad;

    service = await startService(env, bench.run.config);
    await service.request<CaughtUp>({ type: 'caught-up', timeoutMs: 10 * 60_000 });
    const commands = await measureCommands(bench, 'esdb', service, store, undefined, 100_000);
    const ceiling = await esdbAppendCeiling(client, commands.written, config.connections);
    run.details['commands-esdb-ceiling'] = ceiling;
    run.log(`ceiling (test server): ${ceiling.rows} appends at ${config.connections} = ${ceiling.rowsPerSecond}/s`);
    commandFigures(bench, `commands over HTTP (${label})`, commands, ceiling, 'test server, not EventStoreDB');
    storeAppendFigures(bench, label, await storeAppends(store, commands.written, config.connections, 'store-bench-'), ceiling);
    run.figure({ scenario: 'memory', figure: 'service peak RSS, commands (EventStoreDB test server)', value: commands.peakRssMb, unit: 'MiB' });
    await service.stop();
    service = undefined;
    run.mark('EventStoreDB test server: commands and ceiling');

    if (config.esdbEvents > 0) {
      run.log(`loading up to ${config.esdbEvents} events into the test server for its read ceiling`);
      const load = await testServer.measured(() =>
        loadThroughStore(store, dossierSource(bench, { lastIndex: Number.MAX_SAFE_INTEGER, pool: 0, seed: config.seed, reserved }), {
          untilEvents: config.esdbEvents,
          concurrency: 16,
          onProgress: (events) => (events % 100_000 < 9_000 ? run.log(`  ${events} events appended`) : undefined),
        }),
      );
      const read = await readCeiling(store, DEFAULT_PROJECTION_BATCH_SIZE);
      run.details['rebuild-esdb-read-ceiling'] = { load: load.result, testServerPeakRssMb: load.peakRssMb, ...read };
      run.figure({
        scenario: `rebuild (${label})`,
        figure: `read ceiling: the log in pages of ${DEFAULT_PROJECTION_BATCH_SIZE.toLocaleString('en-US')}`,
        value: read.eventsPerSecond,
        unit: 'events/s',
        note: `${read.events.toLocaleString('en-US')} dossier events; test server, not EventStoreDB`,
      });
      run.log(`test-server read ceiling: ${read.events} events in ${(read.milliseconds / 1000).toFixed(1)} s = ${read.eventsPerSecond}/s`);
      run.mark('EventStoreDB test server: load and read ceiling');
    }
  } finally {
    await service?.stop();
    await client.dispose();
    await store.close();
    await pool.end();
    await testServer.stop();
  }
}

async function insertKeys(pool: Pool, dossiers: readonly BenchDossier[]): Promise<void> {
  for (let start = 0; start < dossiers.length; start += 2000) {
    const chunk = dossiers.slice(start, start + 2000);
    await pool.query(`INSERT INTO ${PERSONAL_DATA_KEYS_TABLE} (dossier_id, wrapped_key) SELECT * FROM unnest($1::uuid[], $2::bytea[])`, [
      chunk.map((d) => d.dossierId),
      chunk.map((d) => d.wrappedKey),
    ]);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const config = benchConfig();
  const run = new Run(config);
  const loadAtStart = loadAverages();
  const work = mkdtempSync(join(tmpdir(), 'dossiers-bench-'));
  run.log(`work directory ${work}; load average ${loadAtStart.join(' ')}; ${JSON.stringify(config)}`);
  const postgres = await startBenchPostgres(join(work, 'postgres'));
  // The code as it was when the run started: the service's processes load it from the working tree.
  const codeVersions = versions(postgres.version);
  const secrets: Secrets = {
    AUTH_DEV_SECRET: randomBytes(32).toString('hex'),
    NRN_HASH_KEY: randomBytes(32).toString('hex'),
    PERSONAL_DATA_KEY: randomBytes(32).toString('hex'),
  };
  const appConfig = loadConfig({ ...secrets, DATA_DIR: join(work, 'service') });
  const reservations = new NationalRegisterReservations(undefined as never, undefined as never, appConfig);
  const today = todayIn(appConfig.timeZone);
  const sealer = config.encryptPersonalData ? envelopeSealer(secrets.PERSONAL_DATA_KEY) : plainSealer;
  const bench: Bench = {
    run,
    work,
    serverUrl: postgres.handle.url,
    secrets,
    today,
    appConfig,
    postmasterPid: postgres.postmasterPid,
    growth: [],
    pool: new LifecyclePool(today, config.seed),
    token: (role) => signDevToken(appConfig, { subject: `bench-${role}`, roles: [role] }),
    writer: (seed, reservedNumbers) =>
      new DossierRowEncoder({ today, now: Date.now(), actor: 'seed', sealer, reservationStream: (nrn) => reservations.streamFor(nrn), seed, reservedNumbers }),
    cpu: async (service, work, others = {}) => {
      const meter = new CpuMeter({ ...(service ? { service: service.pid } : {}), bench: process.pid, ...others });
      const postgresCpu = new PostgresCpu(postgres.postmasterPid);
      const result = await work();
      const measured = meter.stop();
      const postgresByKind = postgresCpu.stop();
      return { result, cpu: { ...measured, cpuSeconds: { ...measured.cpuSeconds, postgres: postgresByKind.seconds }, postgresByKind } };
    },
  };
  if (!config.encryptPersonalData) run.notes.push('Personal blocks were loaded in plain (BENCH_ENCRYPT=0), the legacy form; the service decrypts nothing for them.');
  let failure: unknown;
  try {
    for (const size of config.growthDossiers) await growthStep(bench, size);
    await postgresPhase(bench);
    if (config.esdb && !config.queriesOnly && !config.rebuildsOnly) await esdbPhase(bench);
  } catch (error) {
    failure = error;
    console.error(error);
  } finally {
    await postgres.handle.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }

  if (run.elapsedSeconds() > TIME_BUDGET_SECONDS) {
    const [longest, seconds] = Object.entries(run.phases).sort((a, b) => b[1] - a[1])[0] ?? ['?', 0];
    run.notes.push(
      `The run took ${Math.round(run.elapsedSeconds())} s, over the ${TIME_BUDGET_SECONDS} s budget; its longest stretch was "${longest}" (${seconds} s). ` +
        'See "phases" for where the time went.',
    );
  }
  const results = {
    startedAt: run.startedAt.toISOString(),
    durationSeconds: run.elapsedSeconds(),
    phases: run.phases,
    complete: failure === undefined,
    ...(failure === undefined ? {} : { error: failure instanceof Error ? failure.message : String(failure) }),
    config,
    machine: machineInfo(loadAtStart),
    versions: codeVersions,
    figures: run.figures,
    growth: bench.growth.map((step) => ({ dossiers: step.dossiers, queries: step.figures.map((f) => ({ name: f.name, p50: f.p50, p99: f.p99, count: f.count })) })),
    notes: run.notes,
    details: run.details,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, resultsFileName(run.startedAt));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(run.figures)}\n`);
  if (bench.growth.length > 0) console.log(`Growth of the queries with the dossiers:\n${formatGrowthTable(bench.growth)}\n`);
  for (const note of run.notes) console.log(`note: ${note}`);
  console.log(`${failure === undefined ? 'Done' : 'FAILED'} in ${run.elapsedSeconds()} s; results in ${file}`);
  process.exit(failure === undefined ? 0 : 1);
}

void main();
