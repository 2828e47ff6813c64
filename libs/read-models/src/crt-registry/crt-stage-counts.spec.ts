import type { DataSource, QueryRunner } from 'typeorm';
import { PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase, until } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CRT_DOSSIERS_TABLE } from './crt-registry.projection';
import { CrtStageCountsInKeyOrder1733529600170 } from './migrations/1733529600170-crt-stage-counts-in-key-order';

/**
 * crt_stage_counts under two writers of crt_dossiers at once (a rebuild's copy and the live path, or two
 * instances during a failover): each statement's counts are upserted in key order, so two statements
 * whose groups overlap take the counts' row locks in the same order and one waits for the other
 * instead of deadlocking.
 */
describe('crt_stage_counts: two writers at once', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  const BARRIER = 0x5c0c;
  const migration = new CrtStageCountsInKeyOrder1733529600170();
  const runner = () => ({ query: (sql: string, parameters?: unknown[]) => dataSource.query(sql, parameters) }) as unknown as QueryRunner;
  /** The trigger function's body, its whitespace made single spaces. */
  const keepingFunction = async (): Promise<string> =>
    ((await dataSource.query(`SELECT prosrc FROM pg_proc WHERE oid = 'read_models.crt_keep_stage_counts'::regproc`))[0].prosrc as string).replace(/\s+/g, ' ').trim();
  let released: string;
  /** The municipalities both writers write. */
  const BOTH = ['11002', '44021'];

  beforeAll(async () => {
    // Migrated up to the function as first released, then to the one under test, so that down() can be held to it.
    const before = READ_MODEL_MIGRATIONS.filter((step) => step !== CrtStageCountsInKeyOrder1733529600170);
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...before]);
    dataSource = database.dataSource;
    released = await keepingFunction();
    await migration.up(runner());
    // A gate the spec holds shut: each writer, once it holds the row lock of the first group both
    // writers write (a BEFORE UPDATE trigger fires after ON CONFLICT has locked the row), waits at
    // it. Both then hold a lock the other may need before either asks for another, however the
    // machine schedules them.
    await dataSource.query(`
      CREATE FUNCTION read_models.wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.municipality = ANY (TG_ARGV) AND current_setting('crt_spec.at_gate', true) IS DISTINCT FROM 'passed' THEN
          PERFORM set_config('crt_spec.at_gate', 'passed', true);
          PERFORM pg_advisory_xact_lock_shared(${BARRIER});
        END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(
      `CREATE TRIGGER wait_at_gate BEFORE UPDATE ON read_models.crt_stage_counts
         FOR EACH ROW EXECUTE FUNCTION read_models.wait_at_gate(${BOTH.map((m) => `'${m}'`).join(', ')})`,
    );
  });
  afterAll(() => database?.close());

  /** Housed dossiers, one per municipality listed, in that order, in one statement. */
  const housedIn = (connection: { query: (sql: string, parameters?: unknown[]) => Promise<unknown> }, municipalities: string[]) =>
    connection.query(
      `INSERT INTO read_models.${CRT_DOSSIERS_TABLE} (dossier_id, version, given_name, family_name, nationality, municipality, registered_on,
                                             housing_type, ever_employed, employed_now, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', 'Kovalenko', 'UKR', m, date '2022-03-01', 'collective', false, false, now(), 'temporary-protection'
         FROM unnest($1::text[]) WITH ORDINALITY AS u(m, i) ORDER BY i`,
      [municipalities],
    );
  const kept = () => dataSource.query('SELECT municipality, stage, dossiers FROM read_models.crt_stage_counts ORDER BY municipality, stage');
  const counted = () =>
    dataSource.query(`SELECT municipality, stage, count(*)::int AS dossiers FROM read_models.${CRT_DOSSIERS_TABLE} GROUP BY municipality, stage ORDER BY municipality, stage`);

  it('lets two transactions whose groups overlap, written in opposite orders, both commit with the counts a GROUP BY gives', async () => {
    // Every group there already, so that each writer updates (and locks) existing counts.
    const municipalities = ['11002', '12025', '23088', '44021', '71022'];
    await housedIn(dataSource, municipalities);
    const gate = dataSource.createQueryRunner();
    const writers: QueryRunner[] = [dataSource.createQueryRunner(), dataSource.createQueryRunner()];
    try {
      await gate.query('SELECT pg_advisory_lock($1)', [BARRIER]);
      const pids: number[] = [];
      for (const writer of writers) {
        await writer.startTransaction();
        pids.push((await writer.query('SELECT pg_backend_pid() AS pid'))[0].pid);
      }
      // Two groups against five, in opposite orders. The function as first released upserted them in
      // hash aggregation's order, which follows the number of groups: 44021 before 11002 for the
      // two, after it for the five, so each writer locked first the group the other locks last.
      const written = [housedIn(writers[0], [...BOTH].reverse()), housedIn(writers[1], [...municipalities].reverse())].map((statement, i) =>
        statement.then(
          () => writers[i].commitTransaction().then(() => 'committed'),
          (error: Error) => writers[i].rollbackTransaction().then(() => error.message),
        ),
      );
      // Both writers wait (at the gate, or for the other's row lock) before the gate opens.
      await until(
        async () => (await dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND wait_event_type = 'Lock'`, [pids]))[0].n,
        (waiting: number) => waiting === 2,
        { what: 'both writers waiting' },
      );
      await gate.query('SELECT pg_advisory_unlock($1)', [BARRIER]);
      expect(await Promise.all(written)).toEqual(['committed', 'committed']);
    } finally {
      await Promise.all([gate, ...writers].map((runner) => runner.release()));
    }
    expect(await kept()).toEqual(await counted());
    expect(await kept()).toEqual([
      { municipality: '11002', stage: 'housed', dossiers: 3 },
      { municipality: '12025', stage: 'housed', dossiers: 2 },
      { municipality: '23088', stage: 'housed', dossiers: 2 },
      { municipality: '44021', stage: 'housed', dossiers: 3 },
      { municipality: '71022', stage: 'housed', dossiers: 2 },
    ]);
  });

  it('goes back to the function as first released (down), and forward again', async () => {
    const inKeyOrder = await keepingFunction();
    expect(inKeyOrder).toContain('HAVING sum(n) <> 0 ORDER BY municipality, stage ON CONFLICT');
    await migration.down(runner());
    expect(await keepingFunction()).toBe(released);
    await migration.up(runner());
    expect(await keepingFunction()).toBe(inKeyOrder);
  });
});
