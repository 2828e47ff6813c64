import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import {
  DEPARTURE_REASONS,
  dossierStreamId,
  INBURGERING_TRAJECTORIES,
  OTHER_RESIDENCE_STATUSES,
  REHOUSING_REASONS,
  addDays,
  type DossierEvent,
} from '@app/domain';
import { dossierEventToAppend, registered } from '@app/domain/testing';
import { comparePositions, type LogPosition } from '@app/event-store';
import { PostgresEventStore } from '@app/event-store/postgres';
import { CHECKPOINT_TABLE, ProjectionEngine, type Projection, type ProjectionContext } from '@app/projection-engine';
import { until } from '@app/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { READ_MODEL_MIGRATIONS } from '../../schema';
import { caughtUpOnce as caughtUp } from '../../testing/caught-up-once';
import { countedFlushes } from '../../testing/counted-flushes';
import { FLOW_STATISTICS, flowStatisticsProjection, STAT_EVENTS_STAGED_TABLE, STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { STAT_PERSONS_TABLE } from '../person-attributes';
import { countsOf, eventsIn, FlowCells } from '../queries/flows';
import { groupingOf } from '../queries/groups';
import { REGISTRATION_AS_RECORDED } from '../queries/place';
import { INTERVALS, periodsBetween, type Interval } from '../queries/periods';
import { FlowStatisticsFlowCounts1733529600050 } from '../migrations/1733529600050-flow-statistics-flow-counts';
import { FlowStatisticsStagedEvents1733529600070 } from '../migrations/1733529600070-flow-statistics-staged-events';
import { FlowStatisticsCountPages1733529600085 } from '../migrations/1733529600085-flow-statistics-count-pages';
import { FlowStatisticsStagedWithoutAutovacuum1733529600220 } from '../migrations/1733529600220-flow-statistics-staged-without-autovacuum';
import { FlowStatisticsFlowCountLines1733529600250 } from '../migrations/1733529600250-flow-statistics-flow-count-lines';
import { DATE_COUNTS, type CountTable } from './index';
import { primaryKeyOrder } from './delta';
import { FLOW_COUNTS, FLOW_DAYS, flowCountDeltas, FlowContributions, readingsOf, type FlowCountDeltas, type FlowEvent } from './flows';
import { bucketOf } from '../queries/periods';

/** Antwerp twice, Ghent, Hasselt, Brussels (no province): reopenings move a dossier between provinces. */
const PLACES = ['11002', '11004', '44021', '71022', '21004'] as const;
const START = '2022-01-01';

/** One step of a history after its registration, on a day counted from START (any order: later steps may be dated earlier, a late fact). */
const stepArbitrary: fc.Arbitrary<(day: number) => DossierEvent> = fc.oneof(
  fc.constantFrom(...PLACES).map((municipality) => (day: number) => ({
    type: 'PersonHoused' as const,
    data: { housingType: 'collective' as const, municipality, on: addDays(START, day) },
  })),
  fc.tuple(fc.constantFrom(...PLACES), fc.constantFrom(...REHOUSING_REASONS)).map(([municipality, reason]) => (day: number) => ({
    type: 'PersonRehoused' as const,
    data: { housingType: 'host-family' as const, municipality, on: addDays(START, day), reason, previousHousingType: 'collective' as const, previousMunicipality: '11002' },
  })),
  fc.constantFrom(...INBURGERING_TRAJECTORIES).map((trajectory) => (day: number) => ({ type: 'InburgeringEnrolled' as const, data: { trajectory, on: addDays(START, day) } })),
  fc.constant((day: number) => ({ type: 'VdabRegistered' as const, data: { on: addDays(START, day) } })),
  fc.constant((day: number) => ({ type: 'EmploymentStarted' as const, data: { on: addDays(START, day) } })),
  fc.constant((day: number) => ({ type: 'EmploymentEnded' as const, data: { on: addDays(START, day), startedOn: START } })),
  fc.constantFrom(...OTHER_RESIDENCE_STATUSES).map((status) => (day: number) => ({
    type: 'ResidenceStatusChanged' as const,
    data: { on: addDays(START, day), status, previousStatus: 'temporary-protection' as const },
  })),
  fc.constantFrom(...DEPARTURE_REASONS).map((reason) => (day: number) => ({ type: 'PersonLeft' as const, data: { on: addDays(START, day), reason } })),
  fc.constantFrom(...PLACES).map((municipality) => (day: number) => ({ type: 'DossierReopened' as const, data: { on: addDays(START, day), municipality } })),
  fc.constant((day: number) => ({ type: 'PersonalDataErased' as const, data: { on: addDays(START, day), reason: 'request' } })),
) as fc.Arbitrary<(day: number) => DossierEvent>;

/** A dossier: its registration, then steps, each recorded in that order (days in any order: late facts). */
const historyArbitrary = fc.record({
  place: fc.constantFrom(...PLACES),
  registeredDay: fc.integer({ min: 0, max: 800 }),
  steps: fc.array(fc.tuple(stepArbitrary, fc.integer({ min: 0, max: 1100 })), { maxLength: 8 }),
});

/** A dossier kept across runs, recorded further in later runs. */
interface Dossier {
  id: string;
  version: number;
}

describe('stat_flow_counts and stat_flow_days: the flows from the counts the projection keeps', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let dataSource: DataSource;
  let context: ProjectionContext;
  let store: PostgresEventStore;
  const projection = flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)));
  const dossiers: Dossier[] = [];
  let position: LogPosition | undefined;

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    ({ dataSource, context } = database);
    store = await PostgresEventStore.connect(database.url);
  });

  afterAll(async () => {
    await store?.close();
    await database?.close();
  });

  /** Every count of both tables (and of the counts on a date, kept the same way), ordered. */
  const counts = async () => ({
    dates: await dataSource.query(
      'SELECT c.*, c.bucket::text FROM read_models.stat_date_counts c ORDER BY c.statistic, c.level, c.grain, c.bucket, c.grp, c.cohort, c.measure',
    ),
    periods: await dataSource.query('SELECT c.*, c.period::text FROM read_models.stat_flow_counts c ORDER BY c.interval, c.level, c.period, c.grp, c.measure, c.category'),
    days: await dataSource.query(
      'SELECT d.*, d.period::text, d.day::text FROM read_models.stat_flow_days d ORDER BY d.interval, d.level, d.period, d.day, d.grp, d.measure, d.category',
    ),
  });

  /** Starts an engine running the projection, waits until it has caught up, and stops it. */
  const caughtUpOnce = (running: Projection, options: ConstructorParameters<typeof ProjectionEngine>[3]) => caughtUp(store, dataSource, running, options);

  /**
   * How a count table's rows lie in its pages: read in the order of the primary key (the values as texts,
   * byte by byte), how often the next row is on another page than the one before (a row per
   * page and a few more where rows lie in key order: PostgreSQL fills a page's leftover space
   * with a later, shorter row; nearly a change per row where they lie in no order).
   */
  const pagesInKeyOrder = async (table: CountTable) => {
    const key = primaryKeyOrder(table)
      .map((i) => `${table.keys[i][0]}::text COLLATE "C"`)
      .join(', ');
    const [{ rows, pages, changes }] = await dataSource.query(
      `SELECT count(*)::int AS rows, count(DISTINCT page)::int AS pages, count(*) FILTER (WHERE page <> previous)::int AS changes
         FROM (SELECT page, lag(page) OVER (ORDER BY ${key}) AS previous
                 FROM (SELECT *, (ctid::text::point)[0] AS page FROM read_models.${table.name}) AS t) AS r`,
    );
    return { table: table.name, rows, pages, changes };
  };
  /** The staged events' table's storage parameters. */
  const stagedOptions = async (): Promise<string[] | null> =>
    (await dataSource.query(`SELECT reloptions FROM pg_class WHERE oid = 'read_models.${STAT_EVENTS_STAGED_TABLE}'::regclass`))[0].reloptions;

  /** Every row of stat_events and stat_dossier_periods, and the persons' attributes, ordered. */
  const tableRows = async () => ({
    events: await dataSource.query('SELECT * FROM read_models.stat_events ORDER BY dossier_id, version, recorded_from'),
    periods: await dataSource.query('SELECT * FROM read_models.stat_dossier_periods ORDER BY dossier_id, valid_from, recorded_from'),
    persons: await dataSource.query('SELECT * FROM read_models.stat_person_attributes ORDER BY dossier_id, valid_from'),
  });

  /**
   * The counts of a range, cell by cell: as they land in a flows answer's cells from stat_flow_counts (and the clipped periods' rows),
   * and from every row (the oracle's rows as eventsIn reads them, not landed).
   */
  async function bothWays(from: string, to: string, interval: Interval, groupBy: string) {
    const periods = periodsBetween(from, to, interval, 1000)!;
    const grouping = groupingOf(groupBy);
    const cell = (bucket: string, grp: string | null, type: string, category: string, events: number, persons: number) =>
      `${bucket}|${grp ?? ''}|${type}|${category}: ${events} events, ${persons} persons`;
    const landed = (cells: FlowCells) =>
      [...cells.cells].flatMap(([bucket, groups]) =>
        [...groups].flatMap(([group, { totals, parts }]) => {
          const { grp } = cells.groups.get(group)!;
          return [
            ...[...totals].map(([type, { value, persons }]) => cell(bucket, grp, type, '', value, persons)),
            ...[...parts].flatMap(([type, categories]) => [...categories].map(([category, { value, persons }]) => cell(bucket, grp, type, category, value, persons))),
          ];
        }),
      );
    const rows = (counts: Awaited<ReturnType<typeof eventsIn>>) =>
      counts
        .filter((row) => Number(row.detail) === 1 || row.category !== null)
        .map((row) => cell(row.bucket, row.grp, row.type, Number(row.detail) === 1 ? '' : row.category!, row.n, row.persons));
    return {
      // Counted in events: a cell's value is its events.
      fast: landed(await countsOf(dataSource, interval, grouping, periods, new FlowCells('events'))).sort(),
      oracle: rows(await eventsIn(dataSource, from, to, interval, grouping, periods, REGISTRATION_AS_RECORDED, null)).sort(),
    };
  }

  const questionArbitrary = fc.record({
    fromDay: fc.integer({ min: 0, max: 1100 }),
    days: fc.integer({ min: 0, max: 1200 }),
    interval: fc.constantFrom(...INTERVALS),
    groupBy: fc.constantFrom('none', 'province', 'municipality'),
  });

  it('equal the counts from every row, cell by cell, for whole periods, periods clipped at one end and at both: live in random batches (late facts, reopenings elsewhere, erasures), after a one-pass rebuild, and as the migration fills them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(historyArbitrary, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), stepArbitrary, fc.integer({ min: 0, max: 1100 })), { maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(questionArbitrary, { minLength: 3, maxLength: 6 }),
        async (histories, lateSteps, batchSizes, questions) => {
          // Late facts for dossiers of earlier runs, then new dossiers.
          for (const [index, step, day] of lateSteps) {
            if (dossiers.length === 0) break;
            const dossier = dossiers[index % dossiers.length];
            await store.append(dossierStreamId(dossier.id), [dossierEventToAppend(step(day))], dossier.version);
            dossier.version++;
          }
          for (const history of histories) {
            const dossier = { id: randomUUID(), version: 0 };
            const events = [registered(dossier.id, history.place, addDays(START, history.registeredDay)), ...history.steps.map(([step, day]) => step(day))];
            await store.append(dossierStreamId(dossier.id), events.map(dossierEventToAppend), 'no_stream');
            dossier.version = events.length;
            dossiers.push(dossier);
          }
          // The new events, in batches of random sizes, as the engine hands them over.
          const fresh = await store.readAll({ after: position, streamPrefixes: projection.streamPrefixes });
          for (let start = 0, b = 0; start < fresh.length; b++) {
            const size = batchSizes[b % batchSizes.length];
            await projection.apply(fresh.slice(start, start + size), context);
            start += size;
          }
          position = fresh.at(-1)?.position ?? position;

          for (const { fromDay, days, interval, groupBy } of questions) {
            const { fast, oracle } = await bothWays(addDays(START, fromDay), addDays(START, fromDay + days), interval, groupBy);
            expect(fast).toEqual(oracle);
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(dossiers.length).toBeGreaterThan(25);

    const live = await counts();
    expect(live.periods.length).toBeGreaterThan(0);
    // No count of zero is kept: the tables are the same however the events were batched.
    expect([...live.periods, ...live.days].filter((row: { events: number }) => row.events === 0)).toEqual([]);

    // Every registration here has a birth date the rebuild reads (its key is never destroyed): a person's
    // bands are forgotten by their erasure alone, which a rebuild folds flushes after the registration.
    const liveRows = await tableRows();
    expect(liveRows.persons.filter((row: { age_band: string | null }) => row.age_band === null).length).toBeGreaterThan(0);
    // A one-pass rebuild flushing every few events, so a dossier's events are staged across flushes: its counts held to its end, or
    // (a fold holding at most a few cells, reading a few staged events per step, so a dossier's events span steps) spilled and summed;
    // its erasures forgotten at its last flush, or (the small one) at each flush where more than one waits.
    const small = flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)), undefined, { heldCells: 5, stagedPerStep: 3, erasuresHeld: 1 });
    for (const rebuilt of [projection, small]) {
      const engine = new ProjectionEngine(store, dataSource, [rebuilt], { batchSize: 5, retryDelayMs: 100, log: () => undefined, rebuildMemoryRows: 7 });
      await engine.rebuild(FLOW_STATISTICS);
      expect(await counts()).toEqual(live);
      expect(await tableRows()).toEqual(liveRows);
      // The staged events' table switched in keeps the live one's storage parameters: still left out of autovacuum.
      expect(await stagedOptions()).toEqual(['autovacuum_enabled=false']);
      // The spilled sums, the rows of the dossiers (in their first-day order) and the persons' (in the log's), went in
      // without their keys (RebuildContext.keyAfterRows): the rebuild built them before the switch.
      const keyed = [...[DATE_COUNTS, FLOW_COUNTS, FLOW_DAYS].map(({ name }) => name), STAT_EVENTS_TABLE, STAT_PERIODS_TABLE, STAT_PERSONS_TABLE].sort();
      const keys = await dataSource.query(
        `SELECT c.relname AS table FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE k.contype = 'p' AND n.nspname = 'read_models' AND c.relname = ANY($1::text[]) ORDER BY 1`,
        [keyed],
      );
      expect(keys.map((key: { table: string }) => key.table)).toEqual(keyed);
      // Written in the order of their keys (held or summed from the spills): a range of the key lies on neighbouring pages.
      for (const table of [DATE_COUNTS, FLOW_COUNTS, FLOW_DAYS]) {
        const { rows, pages, changes } = await pagesInKeyOrder(table);
        expect({ table: table.name, rows, pages, scattered: changes > 3 * pages }).toEqual({ table: table.name, rows, pages, scattered: false });
        expect(rows).toBeGreaterThan(20 * pages);
      }
    }
    for (const interval of INTERVALS) {
      for (const groupBy of ['none', 'province', 'municipality']) {
        const { fast, oracle } = await bothWays('2022-01-15', '2025-02-10', interval, groupBy);
        expect(fast).toEqual(oracle);
      }
    }

    // Each count's line is its fields as a flows read sends them (the column PostgreSQL generates from them).
    const lines = (await dataSource.query('SELECT grp, measure, category, events, persons, line FROM read_models.stat_flow_counts')) as Array<
      Record<'grp' | 'measure' | 'category' | 'line', string> & Record<'events' | 'persons', number>
    >;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((row) => row.line !== [row.grp, row.measure, row.category, row.events, row.persons].join('\x1f'))).toEqual([]);

    // An upgrade fills the table from the rows as they are, and adds each count's line.
    const migration = new FlowStatisticsFlowCounts1733529600050();
    const linesMigration = new FlowStatisticsFlowCountLines1733529600250();
    const runner = dataSource.createQueryRunner();
    try {
      await linesMigration.down(runner);
      await migration.down(runner);
      await migration.up(runner);
      expect((await counts()).periods.some((row: { line?: string }) => 'line' in row)).toBe(false);
      await linesMigration.up(runner);
      expect(await counts()).toEqual(live);

      // Reverted, the count tables have the default fillfactor again; an upgrade lays their rows out in key order, with a tenth of each page free.
      const tables = [DATE_COUNTS, FLOW_COUNTS, FLOW_DAYS];
      for (const { name, keys, counts: countColumns } of tables) {
        // Every column but stat_flow_counts' line, which PostgreSQL generates.
        const columns = [...keys.map(([column]) => column), ...(countColumns ?? ['n'])].join(', ');
        await runner.query(`CREATE TEMPORARY TABLE shuffled AS SELECT ${columns} FROM read_models.${name} ORDER BY random()`);
        await runner.query(`TRUNCATE read_models.${name}`);
        await runner.query(`INSERT INTO read_models.${name} (${columns}) SELECT * FROM shuffled`);
        await runner.query('DROP TABLE shuffled');
      }
      const layout = async () =>
        Promise.all(
          tables.map(async (table) => {
            const { rows, pages, changes } = await pagesInKeyOrder(table);
            const [{ reloptions }] = await dataSource.query(`SELECT reloptions FROM pg_class WHERE oid = 'read_models.${table.name}'::regclass`);
            return { table: table.name, scattered: rows > 20 * pages && changes > 3 * pages, reloptions };
          }),
        );
      const pagesMigration = new FlowStatisticsCountPages1733529600085();
      await pagesMigration.down(runner);
      expect(await layout()).toEqual(tables.map((table) => ({ table: table.name, scattered: true, reloptions: null })));
      await pagesMigration.up(runner);
      expect(await layout()).toEqual(tables.map((table) => ({ table: table.name, scattered: false, reloptions: ['fillfactor=90'] })));

      // Reverted, autovacuum comes to the staged events' table again.
      const withoutAutovacuum = new FlowStatisticsStagedWithoutAutovacuum1733529600220();
      await withoutAutovacuum.down(runner);
      expect(await stagedOptions()).toBeNull();
      await withoutAutovacuum.up(runner);
      expect(await stagedOptions()).toEqual(['autovacuum_enabled=false']);
    } finally {
      await runner.release();
    }
    expect(await counts()).toEqual(live);
  }, 180_000);

  it('a catch-up from empty tables stopped between flushes leaves its events staged, without rows or counts; the next start finishes the fold', async () => {
    const live = await counts();
    expect(live.dates.length).toBeGreaterThan(0);
    await dataSource.query(`TRUNCATE ${projection.tables.map((table) => `read_models.${table}`).join(', ')}`);
    await dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [FLOW_STATISTICS]);
    // The engine stopped after the writer's second flush.
    let engine: ProjectionEngine | undefined;
    let stopped: Promise<void> | undefined;
    const { projection: counted, flushes } = countedFlushes(projection, (n) => {
      if (n === 2) stopped = engine!.stop();
    });
    const options = { batchSize: 5, retryDelayMs: 100, log: () => undefined, rebuildMemoryRows: 7 };
    engine = new ProjectionEngine(store, dataSource, [counted], options);
    await engine.start();
    await until(async () => flushes(), (n) => n >= 2);
    await stopped;
    expect(flushes()).toBe(2);
    // The events of two flushes staged, not yet folded: no rows, no counts.
    const [{ staged }] = await dataSource.query(`SELECT count(*)::int AS staged FROM read_models.${STAT_EVENTS_STAGED_TABLE}`);
    expect(staged).toBeGreaterThan(0);
    const [{ rows }] = await dataSource.query('SELECT count(*)::int AS rows FROM read_models.stat_events');
    expect(rows).toBe(0);
    expect((await counts()).periods).toEqual([]);

    await caughtUpOnce(counted, options);
    // In one pass from the checkpoint (Projection.onePassToFinish), its last flush folding every staged event.
    expect(flushes()).toBeGreaterThan(2);
    expect(await counts()).toEqual(live);
    expect(await dataSource.query(`SELECT * FROM read_models.${STAT_EVENTS_STAGED_TABLE}`)).toEqual([]);

    // An upgrade from the version whose fold could leave the counts behind its rows (stat_counts_behind) stages the kept events
    // again and empties rows and counts: the next batch folds them into the same rows and counts.
    const before = await tableRows();
    const migration = new FlowStatisticsStagedEvents1733529600070();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await runner.query('INSERT INTO read_models.stat_counts_behind (behind) VALUES (true)');
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect((await tableRows()).events).toEqual([]);
    expect((await counts()).periods).toEqual([]);
    // As the engine applies a batch: in a transaction.
    await dataSource.transaction((manager) => projection.apply([], { ...context, query: (sql, parameters) => manager.query(sql, parameters) }));
    expect(await tableRows()).toEqual(before);
    expect(await counts()).toEqual(live);
  }, 60_000);

  it.each([
    ['between its steps', 'step'],
    ['while the spilled counts\' sums go in (their COPY begun)', 'sums'],
  ] as const)('a stop asked for during the last flush of a catch-up ends it %s: it rolls back, the events stay staged (reverting the migration that brought their table refuses meanwhile), and the next start folds them into the rows and counts a fold from scratch writes', async (_, when) => {
    const fromScratch = { rows: await tableRows(), counts: await counts() };
    expect(fromScratch.counts.dates.length).toBeGreaterThan(0);
    await dataSource.query(`TRUNCATE ${projection.tables.map((table) => `read_models.${table}`).join(', ')}`);
    await dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [FLOW_STATISTICS]);
    // Three staged events a step, a few cells held (spilled): the last flush has many steps. The engine is
    // asked to stop once its second step has been read, or as the COPY of the date counts' sums (the first table's) begins.
    const small = flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)), undefined, { heldCells: 5, stagedPerStep: 3, erasuresHeld: 1 });
    let engine: ProjectionEngine | undefined;
    let stopped: Promise<void> | undefined;
    let lastFlushes = 0;
    let steps = 0;
    const sumsCopied: string[] = [];
    const { projection: stoppingInLastFlush } = countedFlushes(small, undefined, (context) => {
      if (!context.last) return context;
      lastFlushes++;
      return {
        ...context,
        query: <T,>(sql: string, parameters?: unknown[]) => {
          if (sql.startsWith('FETCH') && ++steps === 2 && when === 'step') stopped = engine!.stop();
          return context.query<T>(sql, parameters);
        },
        copy: (table, schema, columns, rows) => {
          if ([DATE_COUNTS, FLOW_COUNTS, FLOW_DAYS].some(({ name }) => name === table)) {
            sumsCopied.push(table);
            if (when === 'sums') stopped ??= engine!.stop();
          }
          return context.copy(table, schema, columns, rows);
        },
      };
    });
    const options = { batchSize: 5, retryDelayMs: 100, log: () => undefined, rebuildMemoryRows: 7 };
    engine = new ProjectionEngine(store, dataSource, [stoppingInLastFlush], options);
    await engine.start();
    await until(async () => stopped !== undefined, (asked) => asked);
    await stopped;
    expect(lastFlushes).toBe(1);
    if (when === 'step') {
      // Ended at the next step: no staged event read after the stop was asked for.
      expect(steps).toBe(2);
      expect(sumsCopied).toEqual([]);
    } else {
      // Ended within the first table's COPY: every step read, no other table's sums begun.
      expect(steps).toBeGreaterThan(2);
      expect(sumsCopied).toEqual([DATE_COUNTS.name]);
    }
    // Nothing of the last flush written: the events of the flushes before it staged, no rows or counts, the checkpoint behind the head.
    const [{ staged }] = await dataSource.query(`SELECT count(*)::int AS staged FROM read_models.${STAT_EVENTS_STAGED_TABLE}`);
    expect(staged).toBeGreaterThan(0);
    expect((await tableRows()).events).toEqual([]);
    expect(await counts()).toEqual({ dates: [], periods: [], days: [] });
    // Reverting the migration that brought the staged table would lose them: it refuses, says what to do, and changes nothing.
    const runner = dataSource.createQueryRunner();
    try {
      await expect(new FlowStatisticsStagedEvents1733529600070().down(runner)).rejects.toThrow(
        /Not reverting FlowStatisticsStagedEvents1733529600070: read_models\.stat_events_staged holds events .* Start this version until flow-statistics has caught up .*\(npm run projections:rebuild -- flow-statistics\)/,
      );
    } finally {
      await runner.release();
    }
    expect(await dataSource.query(`SELECT count(*)::int AS staged FROM read_models.${STAT_EVENTS_STAGED_TABLE}`)).toEqual([{ staged }]);
    const [checkpoint] = await dataSource.query(`SELECT position_commit::text AS commit, position_prepare::text AS prepare FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [
      FLOW_STATISTICS,
    ]);
    expect(comparePositions({ commit: BigInt(checkpoint.commit), prepare: BigInt(checkpoint.prepare) }, await store.headPosition())).toBeLessThan(0);

    // The next start finishes the fold in one pass: the same rows and counts as the fold from scratch, each event once.
    const { projection: counted, flushes } = countedFlushes(small);
    await caughtUpOnce(counted, options);
    expect(flushes()).toBeGreaterThan(0);
    expect(await dataSource.query(`SELECT * FROM read_models.${STAT_EVENTS_STAGED_TABLE}`)).toEqual([]);
    expect(await tableRows()).toEqual(fromScratch.rows);
    expect(await counts()).toEqual(fromScratch.counts);
  }, 60_000);
});

describe('FlowContributions', () => {
  const TYPES = ['DossierRegistered', 'PersonHoused', 'PersonRehoused', 'EmploymentStarted', 'EmploymentEnded', 'PersonLeft', 'DossierReopened'] as const;
  const event = fc.record({
    type: fc.constantFrom(...TYPES),
    day: fc.integer({ min: 0, max: 900 }),
    category: fc.constantFrom(null, 'reason-a', 'reason-b'),
    place: fc.constantFrom(...PLACES),
  });
  /** A dossier's current events (versions in the order generated; dates in any order: late facts). */
  const dossier = fc.array(event, { minLength: 1, maxLength: 60 });
  const eventsOf = (dossierId: string, events: ReadonlyArray<{ type: string; day: number; category: string | null; place: string }>): FlowEvent[] =>
    events.map((e, i) => ({
      dossierId,
      version: i + 1,
      type: e.type,
      occurredOn: addDays(START, e.day),
      category: e.category,
      municipality: e.place,
      provinceNis: e.place === '21004' ? null : e.place.slice(0, 1) === '1' ? '10000' : e.place.slice(0, 1) === '4' ? '40000' : '70000',
    }));
  const cells = (deltas: FlowCountDeltas, into = new Map<string, number[]>()) => {
    for (const [table, changes] of [['periods', deltas.periods], ['days', deltas.days]] as const) {
      for (const { key, n } of changes.changes()) {
        const id = `${table}|${key.join('|')}`;
        const sum = into.get(id) ?? n.map(() => 0);
        n.forEach((count, i) => (sum[i] += count));
        into.set(id, sum);
      }
    }
    return into;
  };

  /**
   * Both tables' rows as their definitions give them, dossier by dossier: per interval kind, level,
   * group, measure and category (the measure's total and the event's own), each event on its day
   * and in its period, the dossier once a period as a person, on the days of its first and last such
   * event there; the days for levels none and province only.
   */
  const naive = (dossiers: FlowEvent[][]) => {
    const into = new Map<string, number[]>();
    const add = (id: string, at: number, width: number) => {
      const sum = into.get(id) ?? new Array<number>(width).fill(0);
      sum[at] += 1;
      into.set(id, sum);
    };
    for (const own of dossiers) {
      const spans = new Map<string, { first: string; last: string }>();
      for (const e of [...own, ...readingsOf(own)]) {
        for (const interval of INTERVALS) {
          const period = bucketOf(e.occurredOn, interval);
          for (const [level, grp] of [['none', ''], ['province', e.provinceNis ?? ''], ['municipality', e.municipality ?? '']]) {
            for (const category of e.category === null ? [''] : ['', e.category]) {
              const count = [interval, level, period, grp, e.type, category].join('|');
              add(`periods|${count}`, 0, 2);
              if (level !== 'municipality') add(`days|${count}|${e.occurredOn}`, 0, 3);
              const span = spans.get(count);
              if (!span) spans.set(count, { first: e.occurredOn, last: e.occurredOn });
              else {
                if (e.occurredOn < span.first) span.first = e.occurredOn;
                if (e.occurredOn > span.last) span.last = e.occurredOn;
              }
            }
          }
        }
      }
      for (const [count, { first, last }] of spans) {
        add(`periods|${count}`, 1, 2);
        if (count.split('|')[1] === 'municipality') continue;
        add(`days|${count}|${first}`, 1, 3);
        add(`days|${count}|${last}`, 2, 3);
      }
    }
    return into;
  };

  it('gives both tables the rows of their definitions: the days per interval kind for levels none and province only, in the order of the primary key, as values and as records', () => {
    fc.assert(
      fc.property(fc.array(dossier, { minLength: 1, maxLength: 6 }), (dossiers) => {
        const own = dossiers.map((events, d) => eventsOf(`dossier-${d}`, events));
        const contributions = new FlowContributions();
        for (const events of own) contributions.add(events, 1);
        const { periods, days } = contributions.deltas;
        expect([...cells({ periods, days })].sort()).toEqual([...naive(own)].sort());
        // In key order, as COPY writes them, and the same as records of codes (a spill's).
        const order = primaryKeyOrder(FLOW_DAYS);
        const rows = [...days.changesInKeyOrder(order)];
        const before = (a: readonly string[], b: readonly string[]) => {
          const column = order.find((c) => a[c] !== b[c]);
          return column !== undefined && a[column] < b[column];
        };
        for (let at = 1; at < rows.length; at++) expect(before(rows[at - 1].key, rows[at].key)).toBe(true);
        for (const { key } of rows) expect(key[2]).toBe(bucketOf(key[6], key[0] as Interval));
        const width = FLOW_DAYS.keys.length + FLOW_DAYS.counts!.length;
        const records: Array<{ key: string[]; n: number[] }> = [];
        const buffer = new Int32Array(width * 3);
        const identity = Int32Array.from({ length: days.codes.size }, (_, code) => code);
        days.recordsInKeyOrder(order, identity, buffer, (held) => {
          for (let r = 0; r < held; r++) {
            const record = Array.from(buffer.subarray(r * width, (r + 1) * width));
            records.push({ key: record.slice(0, FLOW_DAYS.keys.length).map((code) => days.codes.text(code)), n: record.slice(FLOW_DAYS.keys.length) });
          }
        });
        expect(records).toEqual(rows.map(({ key, n }) => ({ key: [...key], n: [...n] })));
      }),
      { numRuns: 60 },
    );
  });

  it("adds each dossier's contribution whatever dossiers it added before (its per-dossier cells emptied and reused, grown by a long history or not)", () => {
    fc.assert(
      fc.property(fc.array(dossier, { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), (dossiers, taken) => {
        // One contributions object for all, as a fold's last flush keeps, some dossiers added and taken away again.
        const together = new FlowContributions();
        const alone = new Map<string, number[]>();
        dossiers.forEach((events, d) => {
          const own = eventsOf(`dossier-${d}`, events);
          together.add(own, 1);
          if (taken[d]) together.add(own, -1);
          else cells(flowCountDeltas([], own), alone);
        });
        const expected = [...alone].filter(([, n]) => n.some((count) => count !== 0)).sort();
        expect([...cells(together.deltas)].filter(([, n]) => n.some((count) => count !== 0)).sort()).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
