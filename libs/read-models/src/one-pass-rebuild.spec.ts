import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { comparePositions, type EventStore, type ReadAllOptions, type RecordedEvent } from '@app/event-store';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { CHECKPOINT_TABLE, OnePassMemory, ProjectionEngine, rebuildProjection, type FoldsWhileFlushing, type Projection } from '@app/projection-engine';
import { until } from '@app/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { crtRegistryProjection } from './crt-registry';
import { archiveProjection } from './dossier-archive';
import { flowStatisticsProjection } from './flow-statistics';
import { READ_MODEL_MIGRATIONS } from './schema';
import { countedFlushes } from './testing/counted-flushes';
import { historyArbitrary, historyOf } from './testing/generated-histories';

/**
 * The one-pass rebuild (a projection's rebuildWriter: the log folded in memory, rows written
 * with COPY) must build the table the live path builds batch by batch: same rows, same safe
 * forms. Generated histories, interleaved in one log, with malformed events among them; the
 * writer's memory bound set low so that it flushes often and reads its own rows back.
 */

/**
 * The log as the engine reads it, from recorded events in log order; a subscription delivers
 * what lies after its position batch by batch and is then caught up (the log does not grow).
 */
function logOf(events: readonly RecordedEvent[]): Pick<EventStore, 'readAll' | 'headPosition' | 'subscribeToAll'> {
  const readAll: EventStore['readAll'] = async (options = {}) => {
    const after = options.after;
    const fresh = events.filter((event) => !after || comparePositions(event.position, after) > 0);
    return fresh.slice(0, options.maxCount ?? fresh.length);
  };
  return {
    readAll,
    async headPosition() {
      return events[events.length - 1].position;
    },
    subscribeToAll(options) {
      let closed = false;
      const delivering = (async () => {
        for (let after = options.after; !closed; ) {
          const batch = await readAll({ after, maxCount: options.maxCount });
          if (batch.length === 0) return options.onCaughtUp?.();
          await options.onEvents(batch);
          after = batch[batch.length - 1].position;
        }
      })();
      return {
        async close() {
          closed = true;
          await delivering;
        },
      };
    },
  };
}

/** Generated histories' events interleaved (each stream in its order), and events a projection must store in a safe form or leave out. */
function generatedLog(seed: number): RecordedEvent[] {
  const histories = fc.sample(historyArbitrary, { seed, numRuns: 60 }).map((history) => {
    const dossierId = randomUUID();
    return { dossierId, events: historyOf(dossierId, history).events, next: 0 };
  });
  const malformedId = randomUUID();
  const badDatesId = randomUUID();
  const nulName = registered(malformedId, '11002', '2023-03-01');
  (nulName.data as { personal: { givenName: string; familyName: string } }).personal.givenName = 'Ol\u0000ena';
  // What COPY's text format must escape.
  (nulName.data as { personal: { givenName: string; familyName: string } }).personal.familyName = 'Ko\\val\tenko\r\n\\N';
  histories.push(
    { dossierId: malformedId, events: [nulName, { type: 'PersonHoused', data: { housingType: 'loi', municipality: '11002', on: '2023-02-30' } }], next: 0 },
    {
      dossierId: badDatesId,
      events: [registered(badDatesId, '44021', '2023-04-01'), { type: 'NoSuchEvent', data: {} } as never, { type: 'VdabRegistered', data: {} } as never],
      next: 0,
    },
  );
  const random = fc.sample(fc.array(fc.nat(), { minLength: 2000, maxLength: 2000 }), { seed, numRuns: 1 })[0];
  // A dossier at the start of the log whose late move, at its end, moves where its earlier events count.
  const mover = randomUUID();
  const log: RecordedEvent[] = [
    registered(mover, '11002', '2022-03-24'),
    { type: 'VdabRegistered', data: { on: '2022-07-01' } } as const,
    { type: 'EmploymentStarted', data: { on: '2022-09-01' } } as const,
  ].map((event, index) => recordedDossierEvent(mover, index + 1, event) as RecordedEvent);
  for (let turn = 0; histories.some((history) => history.next < history.events.length); turn++) {
    const waiting = histories.filter((history) => history.next < history.events.length);
    const history = waiting[random[turn % random.length] % waiting.length];
    log.push(recordedDossierEvent(history.dossierId, history.next + 1, history.events[history.next]) as RecordedEvent);
    history.next++;
  }
  log.push(
    recordedDossierEvent(mover, 4, { type: 'PersonLeft', data: { on: '2022-05-01', reason: 'moved-within-belgium' } }) as RecordedEvent,
    recordedDossierEvent(mover, 5, { type: 'DossierReopened', data: { on: '2022-05-02', municipality: '44021' } }) as RecordedEvent,
  );
  // Recording moments as a store gives them: two events to a moment (one append), and now and
  // then one stamped before the event ahead of it in the log (a transaction that began earlier
  // and committed later), so the flow statistics' history has moments out of log order.
  return log.map((event, index) => ({ ...event, createdAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(index / 2) * 1000 - (random[index] % 5 === 0 ? 1500 : 0)) }));
}

// The memory bound that makes each writer flush every 20 of its rows (a per-dossier row counts a fifth).
describe.each([
  ['crt-registry', () => crtRegistryProjection(PersonalDataProtection.withMasterSecret(randomBytes(48))), 4],
  ['dossier-archive', () => archiveProjection(), 4],
  ['flow-statistics', () => flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48))), 20],
])('the one-pass rebuild of %s', (_, projectionOf: () => Projection, memoryRows: number) => {
  // Every table the projection owns: one its writer did not write would differ.
  const tables = projectionOf().tables;
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
  });
  afterAll(() => database?.close());

  /** Every row of the projection's tables, in one order whatever the order they were written in. */
  const rows = async () => {
    const all: unknown[] = [];
    for (const table of tables) {
      all.push(...(await database.dataSource.query(`SELECT '${table}' AS "table", to_jsonb(t) AS row FROM read_models.${table} t ORDER BY to_jsonb(t)::text`)));
    }
    return all;
  };
  const notes = (checkpoint: string) =>
    database.dataSource.query(`SELECT event_id, fields, left_out FROM read_models.projection_safe_forms WHERE checkpoint = $1 ORDER BY event_id`, [checkpoint]);

  /** Empty tables, no notes, no checkpoints: a projection about to start from the beginning of the log. */
  const reset = async () => {
    await database.dataSource.query(`TRUNCATE ${tables.map((table) => `read_models.${table}`).join(', ')}`);
    await database.dataSource.query(`DELETE FROM read_models.projection_safe_forms`);
    await database.dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE}`);
    database.noted.length = 0;
  };

  /** What the live path builds of the log, batch by batch (batches of 1 to 9 events), and its notes. */
  const builtLive = async (log: readonly RecordedEvent[], projection: Projection) => {
    await reset();
    for (let start = 0, size = 1; start < log.length; start += size, size = (size % 9) + 1) {
      await projection.apply(log.slice(start, start + size), database.context);
    }
    const notes = database.noted.map(({ eventId, ...note }) => ({ eventId, ...note })).sort((a, b) => a.eventId.localeCompare(b.eventId));
    return { rows: await rows(), notes };
  };
  const savedNotes = async (checkpoint: string) =>
    ((await notes(checkpoint)) as Array<{ event_id: string; fields: Array<{ field: string }> | null; left_out: string | null }>).map((note) =>
      note.left_out === null ? { eventId: note.event_id, fields: note.fields } : { eventId: note.event_id, leftOut: note.left_out },
    );

  it.each([2022, 2023, 2024])('builds the rows and safe forms the live path builds, batch by batch (seed %i)', async (seed) => {
    const log = generatedLog(seed);
    const projection = projectionOf();
    const { rows: live, notes: liveNotes } = await builtLive(log, projection);
    expect(live.length).toBeGreaterThan(50);
    expect(liveNotes.length).toBeGreaterThan(0);

    const { projection: rebuilt, flushes } = countedFlushes(projection);
    const result = await rebuildProjection(logOf(log) as EventStore, database.dataSource, rebuilt, { batchSize: 25, memory: new OnePassMemory(memoryRows) });
    expect(result.applied).toBe(log.length);
    expect(flushes()).toBeGreaterThan(2);
    expect(await rows()).toEqual(live);
    expect(await savedNotes(projection.name)).toEqual(liveNotes);
  });

  it('folds the log in pages of at most its rebuildPageEvents whatever the batch size, the switch-over in batches of it, and builds the rows of the live path', async () => {
    const log = generatedLog(2022);
    const projection = { ...projectionOf(), rebuildPageEvents: 40 };
    const { rows: live } = await builtLive(log, projection);
    const store = logOf(log);
    const asked = new Set<number | undefined>();
    const reading = { ...store, readAll: (options: ReadAllOptions) => (asked.add(options.maxCount), store.readAll(options)) };
    const result = await rebuildProjection(reading as EventStore, database.dataSource, projection, { batchSize: 1000, memory: new OnePassMemory(memoryRows) });
    expect(result.applied).toBe(log.length);
    expect(asked).toEqual(new Set([40, 1000]));
    expect(await rows()).toEqual(live);
  });

  it('catching up from empty tables in one pass, stopped half-way and carried on (batch by batch, or in one pass where it says its tables are an unfinished one-pass catch-up), it builds the rows and safe forms of the live path', async () => {
    const log = generatedLog(2025);
    const projection = projectionOf();
    const { rows: live, notes: liveNotes } = await builtLive(log, projection);
    await reset();
    const logged: string[] = [];
    const options = { batchSize: 25, retryDelayMs: 100, rebuildMemoryRows: memoryRows, log: (message: string) => logged.push(message) };
    let stopped: Promise<void> | undefined;
    let engine: ProjectionEngine | undefined = undefined;
    const { projection: onePass, flushes } = countedFlushes(projection, (n) => {
      if (n === 2) stopped = engine!.stop();
    });
    engine = new ProjectionEngine(logOf(log) as EventStore, database.dataSource, [onePass], options);
    await engine.start();
    await until(async () => flushes(), (n) => n >= 2);
    await stopped;
    const [checkpoint] = await database.dataSource.query(`SELECT position_commit::text, position_prepare::text FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [
      projection.name,
    ]);
    const halfWay = log.filter((event) => comparePositions(event.position, { commit: BigInt(checkpoint.position_commit), prepare: BigInt(checkpoint.position_prepare) }) <= 0).length;
    expect(halfWay).toBeGreaterThan(0);
    expect(halfWay).toBeLessThan(log.length);

    const again = new ProjectionEngine(logOf(log) as EventStore, database.dataSource, [onePass], options);
    await again.start();
    try {
      await until(() => again.waitUntilCaughtUp(projection.name, 0), (done) => done);
    } finally {
      await again.stop();
    }
    // flow-statistics' tables, its events staged, are an unfinished catch-up its writer finishes (Projection.onePassToFinish).
    if (projection.onePassToFinish) expect(flushes()).toBeGreaterThan(2);
    else expect(flushes()).toBe(2);
    expect(logged).toEqual([]);
    expect(await rows()).toEqual(live);
    expect(await savedNotes(projection.name)).toEqual(liveNotes);
  });

  it('folds on while a flush goes in where its writer hands over what it holds (FoldsWhileFlushing), and builds the rows of the live path', async () => {
    const log = generatedLog(2025);
    const projection = projectionOf();
    const { rows: live } = await builtLive(log, projection);
    // Flushes begun and not ended: from the hand-over (takeHeld), or from the flush's call where the writer flushes what it holds itself.
    let flushing = 0;
    let foldedWhileFlushing = 0;
    const { projection: watched, flushes } = countedFlushes(projection, undefined, undefined, {
      begun: () => flushing++,
      ended: () => flushing--,
      folding: () => {
        if (flushing > 0) foldedWhileFlushing++;
      },
    });
    const result = await rebuildProjection(logOf(log) as EventStore, database.dataSource, watched, { batchSize: 25, memory: new OnePassMemory(memoryRows) });
    expect(result.applied).toBe(log.length);
    expect(flushes()).toBeGreaterThan(2);
    const handsOver = typeof (projection.rebuildWriter!() as Partial<FoldsWhileFlushing>).takeHeld === 'function';
    expect({ handsOver, foldedWhileFlushing: foldedWhileFlushing > 0 }).toEqual({ handsOver, foldedWhileFlushing: handsOver });
    expect(await rows()).toEqual(live);
  });

  it('an interrupted rebuild leaves the live table as it was and no copy behind; the next one builds it whole', async () => {
    const log = generatedLog(7);
    const projection = projectionOf();
    const before = await rows();
    const interrupted = rebuildProjection(logOf(log) as EventStore, database.dataSource, projection, {
      batchSize: 25,
      memory: new OnePassMemory(memoryRows),
      onProgress: ({ applied }) => {
        if (applied > log.length / 2) throw new Error('the process stops here');
      },
    });
    await expect(interrupted).rejects.toThrow('the process stops here');
    expect(await rows()).toEqual(before);
    const [{ copies }] = await database.dataSource.query(`SELECT count(*)::int AS copies FROM pg_namespace WHERE nspname LIKE 'read_models_rebuild_%'`);
    expect(copies).toBe(0);

    const result = await rebuildProjection(logOf(log) as EventStore, database.dataSource, projection, { batchSize: 25, memory: new OnePassMemory(memoryRows) });
    expect(result.applied).toBe(log.length);
    const rebuilt = await rows();
    await database.dataSource.query(`TRUNCATE ${tables.map((table) => `read_models.${table}`).join(', ')}`);
    await projection.apply(log, database.context);
    expect(rebuilt).toEqual(await rows());
  });
});
