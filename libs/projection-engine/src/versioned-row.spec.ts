import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { openMigratedDatabase } from '@app/testing';
import { inTransaction } from './apply-batch';
import { copyRows } from './copy';
import { PROJECTION_ENGINE_MIGRATIONS } from './migrations';
import { READ_MODEL_SCHEMA, type ProjectionContext, type RebuildContext } from './projection';
import { VersionedRowsRebuild, type VersionedWrite } from './versioned-row';

describe('VersionedRowsRebuild folding on while a flush goes in', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  const table = `versioned_${randomUUID().slice(0, 8)}`;
  const qualified = `${READ_MODEL_SCHEMA}.${table}`;

  beforeAll(async () => {
    database = await openMigratedDatabase(PROJECTION_ENGINE_MIGRATIONS);
    await database.dataSource.query(`CREATE TABLE ${qualified} (dossier_id uuid PRIMARY KEY, version integer NOT NULL, name text)`);
  });
  afterAll(async () => {
    await database?.close();
  });

  const notes = { storedInSafeForm: () => undefined, leftOut: () => undefined };
  const context = (): ProjectionContext => ({
    schema: READ_MODEL_SCHEMA,
    query: <T>(sql: string, parameters?: unknown[]) => database.dataSource.query(sql, parameters) as Promise<T[]>,
    ...notes,
  });
  /** An event of a dossier setting its name: version 1 creates the row. */
  const named = (dossierId: string, version: number, name: string): RecordedEvent =>
    ({ id: randomUUID(), streamId: `dossier-${dossierId}`, version, type: 'Named', data: { name } }) as unknown as RecordedEvent;
  const writesOf = async (events: readonly RecordedEvent[]): Promise<VersionedWrite[]> =>
    events.map((event) => ({
      event,
      row: { dossier_id: event.streamId.slice('dossier-'.length), version: event.version, name: (event.data as { name: string }).name },
      creates: event.version === 1,
    }));
  /** A flush as the engine makes it: in a transaction of its own, rows in with COPY. */
  const flushed = (flush: (context: RebuildContext) => Promise<void>) =>
    inTransaction(database.dataSource, (runner) =>
      flush({
        schema: READ_MODEL_SCHEMA,
        query: <T>(sql: string, parameters?: unknown[]) => runner.query(sql, parameters) as Promise<T[]>,
        ...notes,
        copy: (into, schema, columns, rows) => copyRows(runner, schema === null ? into : `${schema}.${into}`, columns, rows),
        last: false,
        carryOn: () => undefined,
        keyAfterRows: async () => false,
      }),
    );
  const stored = async () =>
    database.dataSource.query(`SELECT dossier_id::text AS dossier_id, version, name FROM ${qualified} ORDER BY version, name`) as Promise<
      Array<{ dossier_id: string; version: number; name: string }>
    >;

  it('writes each stretch as it was handed over, and takes a row of the stretch going in from it, not from the table', async () => {
    const writer = new VersionedRowsRebuild(table, writesOf);
    const [a, b] = [randomUUID(), randomUUID()];
    await writer.fold([named(a, 1, 'a1'), named(b, 1, 'b1')], context());
    const first = writer.takeHeld();
    expect(writer.size).toBe(0);
    // Folded before the first stretch is in the table (its flush has not even started): the rows
    // come from that stretch, or version 2 of a dossier the table does not hold yet would be dropped.
    await writer.fold([named(a, 2, 'a2')], context());
    await flushed(first.flush);
    // The stretch as it was handed over, not as the fold went on to change its rows.
    expect(await stored()).toEqual([
      { dossier_id: a, version: 1, name: 'a1' },
      { dossier_id: b, version: 1, name: 'b1' },
    ]);
    const second = writer.takeHeld();
    // The first stretch is committed by now: a row of it is read back from the table.
    await writer.fold([named(b, 2, 'b2')], context());
    await flushed(second.flush);
    await flushed((flush) => writer.flush(flush));
    expect(await stored()).toEqual([
      { dossier_id: a, version: 2, name: 'a2' },
      { dossier_id: b, version: 2, name: 'b2' },
    ]);
  });
});
