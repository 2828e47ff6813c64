import type { DataSource } from 'typeorm';
import { CHECKPOINT_TABLE, PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtDossier } from './crt-dossier.entity';
import { CRT_REGISTRY } from './crt-registry.projection';
import { CrtRegistryReader, REGISTRY_SORTS, TOTAL_COUNTED_UP_TO, type RegistryListQuery } from './crt-registry.reader';

/** The list's total: exact up to TOTAL_COUNTED_UP_TO, a lower bound beyond, and counted once per filter and registry version. */
describe('CrtRegistryReader.list: its total', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;
  let reader: CrtRegistryReader;

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS], [CrtDossier]);
    dataSource = database.dataSource;
    reader = new CrtRegistryReader(dataSource);
  });
  afterAll(() => database?.close());

  /** `count` housed dossiers registered in `municipality` (rows as the projection leaves them, written directly). */
  const housedIn = (municipality: string, count: number) =>
    dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, registered_on,
                                             housing_type, ever_employed, employed_now, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', 'Kovalenko', 'UKR', $1, date '2022-03-01' + i % 900, 'collective', false, false, now(), 'temporary-protection'
         FROM generate_series(1, $2::int) i`,
      [municipality, count],
    );
  const list = (filter: Partial<RegistryListQuery>) => reader.list({ sort: '-registeredOn', page: 1, pageSize: 25, ...filter });
  const batchApplied = () => dataSource.query(`UPDATE ${CHECKPOINT_TABLE} SET updated_at = clock_timestamp() WHERE name = $1`, [CRT_REGISTRY]);

  it('is exact up to TOTAL_COUNTED_UP_TO matches, and beyond them that number, marked as not exact', async () => {
    await housedIn('11002', TOTAL_COUNTED_UP_TO + 1);
    await housedIn('44021', TOTAL_COUNTED_UP_TO);
    await housedIn('71022', 3);
    expect(await list({ municipality: '71022' })).toMatchObject({ total: 3, totalExact: true });
    expect(await list({ municipality: '44021', stage: 'housed' })).toMatchObject({ total: TOTAL_COUNTED_UP_TO, totalExact: true });
    const beyond = await list({ municipality: '11002', stage: 'housed', page: 3 });
    expect(beyond).toMatchObject({ total: TOTAL_COUNTED_UP_TO, totalExact: false });
    expect(beyond.dossiers).toHaveLength(25);
    expect(await list({})).toMatchObject({ total: TOTAL_COUNTED_UP_TO, totalExact: false });
    expect(await list({ municipality: '11002', stage: 'employed' })).toMatchObject({ dossiers: [], total: 0, totalExact: true });
  });

  it('counts a filter once per version of the registry: the next pages take the kept count, a batch applied counts again', async () => {
    await dataSource.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, state) VALUES ($1, 'live') ON CONFLICT (name) DO NOTHING`, [CRT_REGISTRY]);
    await housedIn('12025', 30);
    expect(await list({ municipality: '12025' })).toMatchObject({ total: 30, totalExact: true });
    // Written behind the checkpoint's back, as no projection would: the kept count shows it is reused.
    await housedIn('12025', 5);
    expect(await list({ municipality: '12025', page: 2 })).toMatchObject({ total: 30, totalExact: true });
    await batchApplied();
    expect(await list({ municipality: '12025', page: 2 })).toMatchObject({ total: 35, totalExact: true });
  });
});

/**
 * A municipality's page in every order the API offers is read from an index that starts with the
 * municipality (CrtListIndexes1733443201400, CrtMunicipalitySortIndexes1733529600150): in order,
 * stopping after the page. Sorting is switched off for the plan, so an order no such index holds
 * shows as a walk of another index or a sort.
 */
describe('CrtRegistryReader.list: a municipality in every order', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS], [CrtDossier]);
    dataSource = database.dataSource;
  });
  afterAll(() => database?.close());

  /** The indexes the list's statement reads (and '(sort)' for a sort), with sorting and sequential scans off for the plan. */
  async function indexesRead(query: RegistryListQuery): Promise<string[]> {
    const statements: Array<{ sql: string; parameters: unknown }> = [];
    const spy = jest.spyOn(dataSource, 'query').mockImplementation(async (sql: string, parameters?: unknown) => {
      statements.push({ sql, parameters });
      return [{ registry_version: null, counted: 0, dossier_id: null }];
    });
    await new CrtRegistryReader(dataSource).list(query);
    spy.mockRestore();
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off');
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (FORMAT JSON) ${statements[0].sql}`, statements[0].parameters as unknown[]);
      const names: string[] = [];
      const walk = (node: { 'Index Name'?: string; 'Node Type': string; Plans?: unknown[] }) => {
        if (node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort') names.push('(sort)');
        if (node['Index Name']) names.push(node['Index Name']);
        for (const child of node.Plans ?? []) walk(child as typeof node);
      };
      walk(plan[0].Plan);
      return names;
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it.each(REGISTRY_SORTS.flatMap((sort) => [[sort, {}], [sort, { stage: 'vdab' as const }]] as const))(
    'reads the page sorted by %s (filter %j) from an index that starts with the municipality',
    async (sort, filter) => {
      const read = await indexesRead({ municipality: '12025', ...filter, sort, page: 2, pageSize: 25 });
      const registry = read.filter((name) => name === '(sort)' || name.startsWith('crt_dossiers_'));
      expect(registry.length).toBeGreaterThan(0);
      const startingWithMunicipality: Array<{ name: string }> = await dataSource.query(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid = 'read_models.crt_dossiers'::regclass AND a.attname = 'municipality'`,
      );
      for (const name of registry) expect(startingWithMunicipality.map((index) => index.name)).toContain(name);
    },
  );
});
