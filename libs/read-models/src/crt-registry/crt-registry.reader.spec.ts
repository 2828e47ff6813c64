import type { DataSource } from 'typeorm';
import { poolOf } from '@app/platform';
import { CHECKPOINT_TABLE, PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { STAGES, type Stage } from '@app/domain';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtDossier } from './crt-dossier.entity';
import { CRT_DOSSIERS_TABLE, CRT_REGISTRY } from './crt-registry.projection';
import {
  CrtRegistryReader,
  DOSSIER_STATUSES,
  pageRead,
  pageReadSql,
  REGISTRY_SORTS,
  TOTAL_COUNTED_UP_TO,
  type RegistryListQuery,
  type StatementWithPage,
} from './crt-registry.reader';

/** A migrated database of the describe block's own (dropped after it), handed over with a reader on it before its tests. */
function registryDatabase(opened: (database: { readonly dataSource: DataSource; readonly reader: CrtRegistryReader }) => void): void {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  beforeAll(async () => {
    database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...READ_MODEL_MIGRATIONS], [CrtDossier]);
    opened({ dataSource: database.dataSource, reader: new CrtRegistryReader(database.dataSource) });
  });
  afterAll(() => database?.close());
}

/** The list's total: exact up to TOTAL_COUNTED_UP_TO, a lower bound beyond, and counted once per filter and registry version. */
describe('CrtRegistryReader.list: its total', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

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
    // A housing type: a filter the counts per municipality and stage cannot answer, so it is counted.
    const search = { municipality: '12025', housingType: 'collective' } as const;
    expect(await list(search)).toMatchObject({ total: 30, totalExact: true });
    // Written behind the checkpoint's back, as no projection would: the kept count shows it is reused.
    await housedIn('12025', 5);
    expect(await list({ ...search, page: 2 })).toMatchObject({ total: 30, totalExact: true });
    await batchApplied();
    expect(await list({ ...search, page: 2 })).toMatchObject({ total: 35, totalExact: true });
  });
});

/**
 * The dossiers per municipality and stage kept by triggers on the rows (CrtStageCounts1733529600160):
 * always what counting the rows gives, whichever way the rows change, and what a municipality's
 * summary and a list filtered by status, municipality and stage read instead of counting.
 */
describe('CrtRegistryReader: the counts kept per municipality and stage', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

  const kept = () => dataSource.query('SELECT municipality, stage, dossiers FROM read_models.crt_stage_counts ORDER BY municipality, stage');
  const counted = () =>
    dataSource.query('SELECT municipality, stage, count(*)::int AS dossiers FROM read_models.crt_dossiers GROUP BY municipality, stage ORDER BY municipality, stage');
  /** Dossiers at every stage in a few municipalities (rows as the projection leaves them, written directly). */
  const registered = (count: number) =>
    dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, registered_on, housing_type,
                                             inburgering_since, vdab_registered_on, ever_employed, employed_now, left_on, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', 'Kovalenko', 'UKR', (ARRAY['11002', '44021', '71022'])[1 + i % 3], date '2022-03-01' + i % 900,
              CASE WHEN (i / 3) % 6 >= 1 THEN 'collective' END, CASE WHEN (i / 3) % 6 >= 2 THEN date '2022-06-01' END, CASE WHEN (i / 3) % 6 >= 3 THEN date '2022-09-01' END,
              (i / 3) % 6 >= 4, (i / 3) % 6 = 4, CASE WHEN (i / 3) % 6 = 5 THEN date '2023-01-01' END, now(), 'temporary-protection'
         FROM generate_series(1, $1::int) i`,
      [count],
    );

  it('are the rows counted per municipality and stage after rows are inserted, changed (stage, municipality, nothing counted), deleted and truncated', async () => {
    await registered(100);
    expect(await kept()).toEqual(await counted());
    expect((await kept()).length).toBe(18);
    await dataSource.query(`UPDATE read_models.crt_dossiers SET left_on = date '2024-01-01' WHERE registered_on < date '2022-04-01'`);
    await dataSource.query(`UPDATE read_models.crt_dossiers SET municipality = '12025' WHERE municipality = '71022' AND employed_now`);
    await dataSource.query(`UPDATE read_models.crt_dossiers SET family_name = 'Melnyk'`);
    expect(await kept()).toEqual(await counted());
    // A group emptied is no row, as counting leaves none.
    await dataSource.query(`DELETE FROM read_models.crt_dossiers WHERE municipality = '44021' OR stage = 'housed'`);
    expect(await kept()).toEqual(await counted());
    expect(await kept()).not.toContainEqual(expect.objectContaining({ municipality: '44021' }));
    await dataSource.query('TRUNCATE read_models.crt_dossiers');
    expect(await kept()).toEqual([]);
  });

  it('answer a municipality\'s summary, and the total of every list filtered by status, municipality and stage alone, as counting would', async () => {
    await registered(90);
    await dataSource.query(`UPDATE read_models.crt_dossiers SET left_on = date '2024-01-01' WHERE registered_on < date '2022-03-20'`);
    for (const municipality of ['11002', '71022', '12025']) {
      const rows: Array<{ stage: Stage; n: number }> = await dataSource.query(
        'SELECT stage, count(*)::int AS n FROM read_models.crt_dossiers WHERE municipality = $1 GROUP BY stage',
        [municipality],
      );
      expect(await reader.stageCounts(municipality)).toEqual(Object.fromEntries(STAGES.map((stage) => [stage, rows.find((row) => row.stage === stage)?.n ?? 0])));
    }
    for (const status of [undefined, ...DOSSIER_STATUSES]) {
      for (const municipality of [undefined, '11002', '12025']) {
        for (const stage of [undefined, ...STAGES]) {
          const [{ n }] = await dataSource.query(
            `SELECT count(*)::int AS n FROM read_models.crt_dossiers
              WHERE ($1::boolean IS NULL OR active = $1) AND ($2::text IS NULL OR municipality = $2) AND ($3::text IS NULL OR stage = $3)`,
            [status === undefined ? null : status === 'active', municipality ?? null, stage ?? null],
          );
          const page = await reader.list({ status, municipality, stage, sort: '-registeredOn', page: 1, pageSize: 200 });
          expect({ status, municipality, stage, total: page.total, totalExact: page.totalExact, listed: page.dossiers.length }).toEqual({
            status, municipality, stage, total: n, totalExact: true, listed: n,
          });
        }
      }
    }
  });

  it('are what such a list\'s total reads: a count kept wrong shows, a filter they cannot answer is counted', async () => {
    await dataSource.query('TRUNCATE read_models.crt_dossiers');
    await registered(12);
    await dataSource.query(`UPDATE read_models.crt_stage_counts SET dossiers = 12345 WHERE municipality = '44021' AND stage = 'housed'`);
    expect(await reader.list({ municipality: '44021', stage: 'housed', sort: '-registeredOn', page: 1, pageSize: 25 })).toMatchObject({
      total: TOTAL_COUNTED_UP_TO,
      totalExact: false,
    });
    expect((await reader.stageCounts('44021')).housed).toBe(12345);
    expect(await reader.list({ municipality: '44021', stage: 'housed', housingType: 'collective', sort: '-registeredOn', page: 1, pageSize: 25 })).toMatchObject({
      total: 1,
      totalExact: true,
    });
  });
});

/**
 * A municipality's page in every order the API offers is read from an index that starts with the
 * municipality (CrtListIndexes1733443201400, CrtMunicipalitySortIndexes1733529600150): in order,
 * stopping after the page. Sorting is switched off for the plan, so an order no such index holds
 * shows as a walk of another index or a sort.
 */
describe('CrtRegistryReader.list: a municipality in every order', () => {
  let dataSource: DataSource;
  registryDatabase((opened) => ({ dataSource } = opened));

  /** The indexes the list's statement reads (and '(sort)' for a sort of the matches), with sorting and sequential scans off for the plan. */
  async function indexesRead(query: RegistryListQuery): Promise<string[]> {
    const statements: Array<{ sql: string; parameters: unknown }> = [];
    // The statement as the reader sends it (rowsRead, through the data source's pool), not sent.
    const spy = jest.spyOn(poolOf(dataSource), 'query').mockImplementation((sql, parameters, callback) => {
      statements.push({ sql, parameters });
      callback(null, { rows: [{ registry_version: null, counted: 0, dossier_id: null }] });
    });
    await new CrtRegistryReader(dataSource).list(query);
    spy.mockRestore();
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off');
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (FORMAT JSON) ${statements[0].sql}`, statements[0].parameters as unknown[]);
      const names: string[] = [];
      // A sort below the page's LIMIT sorts the matches; the one above it only the page's rows.
      // The page picked from the matches gathered (a filter matching few) sorts them by design:
      // only the walk of an order is looked at.
      type Node = { 'Index Name'?: string; 'Node Type': string; Plans?: Node[]; 'Subplan Name'?: string; 'CTE Name'?: string };
      const walk = (node: Node, inPage = false) => {
        if (node['Subplan Name'] === 'CTE matches' || node.Plans?.some((child) => child['CTE Name'] === 'matches')) return;
        if (inPage && (node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort')) names.push('(sort)');
        if (node['Index Name']) names.push(node['Index Name']);
        for (const child of node.Plans ?? []) walk(child, inPage || node['Node Type'] === 'Limit');
      };
      walk(plan[0].Plan);
      return names;
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it.each(REGISTRY_SORTS.flatMap((sort) => [[sort, {}, 1], [sort, { stage: 'vdab' as const }, 2]] as const))(
    'reads the page sorted by %s (filter %j, page %i) from an index that starts with the municipality',
    async (sort, filter, page) => {
      const read = await indexesRead({ municipality: '12025', ...filter, sort, page, pageSize: 25 });
      // The page's rows are then read by their ids.
      const registry = read.filter((name) => name === '(sort)' || (name.startsWith('crt_dossiers_') && name !== 'crt_dossiers_pkey'));
      expect(registry.length).toBeGreaterThan(0);
      const startingWithMunicipality: Array<{ name: string }> = await dataSource.query(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE i.indrelid = 'read_models.crt_dossiers'::regclass AND a.attname = 'municipality'`,
      );
      for (const name of registry) expect(startingWithMunicipality.map((index) => index.name)).toContain(name);
    },
  );
});

/** A page's dossiers are found by id first, then their rows read (CrtRegistryReader.list): the pages are those of the plain order. */
describe('CrtRegistryReader.list: pages', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

  /** Writes the ids of the page's rows, in the page's order, under `page` (a StatementWithPage, as the access log's record of a page). */
  const seeing = (page: string): StatementWithPage => ({
    sql: (at, order) => `INSERT INTO pages_seen (page, ids) SELECT ${at(1)}::text, coalesce(array_agg(dossier_id ORDER BY ${order}), '{}') FROM page_shown`,
    parameters: [page],
  });

  it('make up, page after page, the matches in the order asked (ties broken by dossier id), in every sort and direction; a statement with the page sees its rows in that order', async () => {
    await dataSource.query('CREATE TABLE pages_seen (page text PRIMARY KEY, ids uuid[] NOT NULL)');
    // Few distinct names, dates and places, some without a municipality name: many ties.
    await dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, municipality_name, registered_on,
                                             housing_type, ever_employed, employed_now, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', (ARRAY['Koval', 'Melnyk', 'Boiko'])[1 + i % 3], 'UKR', (ARRAY['11002', '44021'])[1 + i % 2],
              CASE WHEN i % 5 > 0 THEN (ARRAY['Antwerpen', 'Gent'])[1 + i % 2] END, date '2022-03-01' + i % 7,
              CASE WHEN i % 4 > 0 THEN 'collective' END, false, false, timestamp '2024-01-01' + (i % 9) * interval '1 hour', 'temporary-protection'
         FROM generate_series(1, 130) i`,
    );
    for (const sort of REGISTRY_SORTS) {
      for (const filter of [{}, { municipality: '11002' }, { municipality: '44021', stage: 'housed' as const }]) {
        const [key, direction] = sort.startsWith('-') ? [sort.slice(1), 'DESC'] : [sort, 'ASC'];
        const column = { registeredOn: 'registered_on', familyName: 'family_name', municipality: 'municipality_name', lastRecordedAt: 'last_recorded_at' }[key];
        const expected: Array<{ id: string }> = await dataSource.query(
          `SELECT dossier_id::text AS id FROM read_models.crt_dossiers d
            WHERE ($1::text IS NULL OR municipality = $1) AND ($2::text IS NULL OR stage = $2) ORDER BY ${column} ${direction}, dossier_id ${direction}`,
          [(filter as { municipality?: string }).municipality ?? null, (filter as { stage?: string }).stage ?? null],
        );
        const paged: string[] = [];
        for (let page = 1; page <= Math.ceil(expected.length / 9) + 1; page++) {
          const ids = (await reader.list({ ...filter, sort, page, pageSize: 9 })).dossiers.map((dossier) => dossier.dossierId);
          // The same page read with a statement on its rows (as the access log's record is written): the same rows, and it sees them in the page's order.
          const seen = `${sort} ${JSON.stringify(filter)} ${page}`;
          const withStatement = (await reader.list({ ...filter, sort, page, pageSize: 9 }, seeing(seen))).dossiers.map((dossier) => dossier.dossierId);
          const [written] = await dataSource.query(`SELECT ids::text[] AS ids FROM pages_seen WHERE page = $1`, [seen]);
          expect({ seen, withStatement, written: written?.ids }).toEqual({ seen, withStatement: ids, written: ids });
          paged.push(...ids);
        }
        expect({ sort, filter, paged }).toEqual({ sort, filter, paged: expected.map((row) => row.id) });
      }
    }
  });

  it('answers dates as the entity holds them: text, YYYY-MM-DD; timestamps as Dates', async () => {
    await dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, birth_date, nationality, municipality, registered_on,
                                             ever_employed, employed_now, left_on, last_recorded_at, residence_status)
       VALUES ('00000000-0000-4000-8000-00000000d47e', 3, 'Olena', 'Datum', date '1985-07-30', 'UKR', '73001', date '2022-03-24', false, false, date '2024-02-29',
               timestamptz '2024-11-25T09:14:03.512Z', 'temporary-protection')`,
    );
    const [dossier] = (await reader.list({ municipality: '73001', sort: '-registeredOn', page: 1, pageSize: 25 })).dossiers;
    expect(dossier).toMatchObject({ birthDate: '1985-07-30', registeredOn: '2022-03-24', leftOn: '2024-02-29', housingSince: null, lastRecordedAt: new Date('2024-11-25T09:14:03.512Z') });
  });
});

/** The statement a reader sends for a page (and the page it answers), sent as usual: its last (a search may read the registry's sample of names first). */
async function sentBy(dataSource: DataSource, reader: CrtRegistryReader, query: RegistryListQuery) {
  const spy = jest.spyOn(poolOf(dataSource), 'query');
  try {
    const answer = await reader.list(query);
    const [sql, parameters] = spy.mock.calls[spy.mock.calls.length - 1] as unknown as [string, unknown[]];
    return { sql, parameters, answer };
  } finally {
    spy.mockRestore();
  }
}

/**
 * A list's statement run again under EXPLAIN ANALYZE: whether its walk of the sort's index ran,
 * whether its page from the gathered matches did, and how many scans of the registry's rows ran
 * other than the look-ups of a page's rows by id (a count of its own is one). Sequential scans are
 * off for its plan, so that a page's rows are looked up by id however small the registry.
 */
async function statementRun(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<{ walked: boolean; gathered: boolean; registryScans: number }> {
  const runner = dataSource.createQueryRunner();
  let plan: Array<{ Plan: unknown }>;
  try {
    await runner.startTransaction();
    await runner.query('SET LOCAL enable_seqscan = off');
    [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, parameters);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
  const found = { walked: false, gathered: false, registryScans: 0 };
  type Node = { Plans?: Node[]; 'One-Time Filter'?: string; 'Actual Loops': number; 'Parent Relationship'?: string; 'CTE Name'?: string; 'Relation Name'?: string; 'Index Name'?: string };
  const readsMatches = (node: Node): boolean => node['CTE Name'] === 'matches' || (node.Plans ?? []).some(readsMatches);
  const visit = (node: Node) => {
    if (node['One-Time Filter'] !== undefined) {
      // The gate's own look at the count (an InitPlan) runs either way; what it lets through is the outer child.
      const outer = (node.Plans ?? []).find((child) => child['Parent Relationship'] === 'Outer');
      if (outer) found[readsMatches(outer) ? 'gathered' : 'walked'] = outer['Actual Loops'] > 0;
    }
    if (node['Relation Name'] === CRT_DOSSIERS_TABLE && node['Index Name'] !== 'crt_dossiers_pkey' && node['Actual Loops'] > 0) found.registryScans++;
    node.Plans?.forEach(visit);
  };
  visit(plan[0].Plan as Node);
  return found;
}

/**
 * A filter matching TOTAL_COUNTED_UP_TO dossiers or fewer has its page picked from all its
 * matches, gathered by the filter's own indexes; one matching more walks the sort's index; a name
 * searched for in the family names' order is always gathered. Whichever way, the page is the one
 * the filter and the order give: here against the rows filtered and sorted in memory.
 */
describe('CrtRegistryReader.list: a page walked or gathered', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

  const DOSSIERS = TOTAL_COUNTED_UP_TO + 200;
  type Row = Record<'dossier_id' | 'municipality' | 'municipality_name' | 'family_name' | 'stage' | 'residence_status' | 'housing_type' | 'search_text' | 'registered_on', string> & {
    active: boolean;
    last_recorded_at: Date;
  };
  let rows: Row[];

  beforeAll(async () => {
    // Names and municipality names of distinct first letters: ordered alike whatever the collation.
    await dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, municipality_name, registered_on,
                                             housing_type, ever_employed, employed_now, left_on, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, (ARRAY['Olena', 'Iryna'])[1 + i % 2], (ARRAY['Kovalenko', 'Shevchenko', 'Bondarenko', 'Tkachenko', 'Melnyk'])[1 + i % 5], 'UKR',
              (ARRAY['11002', '44021', '71022'])[1 + i % 3], (ARRAY['Antwerpen', 'Gent', 'Hasselt'])[1 + i % 3], date '2022-03-01' + (i * 7) % 1000,
              CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'collective' ELSE 'loi' END, i % 6 = 0, i % 6 = 0, CASE WHEN i % 10 = 0 THEN date '2025-01-01' END,
              timestamptz '2026-01-01' - i * interval '1 minute', CASE WHEN i % 97 = 0 THEN 'family-reunification' ELSE 'temporary-protection' END
         FROM generate_series(1, $1::int) i`,
      [DOSSIERS],
    );
    await dataSource.query('ANALYZE read_models.crt_dossiers');
    rows = await dataSource.query(
      'SELECT dossier_id, municipality, municipality_name, family_name, stage, residence_status, housing_type, search_text, registered_on::text, active, last_recorded_at FROM read_models.crt_dossiers',
    );
  });

  const SORTED_BY: Record<string, (row: Row) => string | number> = {
    registeredOn: (row) => row.registered_on,
    familyName: (row) => row.family_name,
    municipality: (row) => row.municipality_name,
    lastRecordedAt: (row) => row.last_recorded_at.getTime(),
  };
  /** The page as the filter and the order give it, from the rows in memory. */
  function expected(query: RegistryListQuery): { ids: string[]; total: number } {
    const matching = rows.filter(
      (row) =>
        (query.status === undefined || row.active === (query.status === 'active')) &&
        (query.municipality === undefined || row.municipality === query.municipality) &&
        (query.stage === undefined || row.stage === query.stage) &&
        (query.housingType === undefined || row.housing_type === query.housingType) &&
        (query.residenceStatus === undefined || row.residence_status === query.residenceStatus) &&
        (query.registeredFrom === undefined || row.registered_on >= query.registeredFrom) &&
        (query.registeredTo === undefined || row.registered_on <= query.registeredTo) &&
        (query.q === undefined || row.search_text.includes(query.q)),
    );
    const key = SORTED_BY[query.sort.replace('-', '')];
    const sign = query.sort.startsWith('-') ? -1 : 1;
    const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
    matching.sort((a, b) => sign * (compare(key(a), key(b)) || compare(a.dossier_id, b.dossier_id)));
    const from = (query.page - 1) * query.pageSize;
    return { ids: matching.slice(from, from + query.pageSize).map((row) => row.dossier_id), total: Math.min(matching.length, TOTAL_COUNTED_UP_TO) };
  }

  const FILTERS: Array<Partial<RegistryListQuery>> = [
    {}, // more than TOTAL_COUNTED_UP_TO: walked
    { municipality: '44021' },
    { stage: 'employed', residenceStatus: 'family-reunification' },
    { status: 'left', stage: 'housed' }, // none
    { housingType: 'collective', status: 'active' },
    { status: 'left', housingType: 'loi' }, // a status asked of the stage; walked on the first page, gathered on the third
    { municipality: '44021', housingType: 'collective' }, // walked on the first page, gathered on the third
    { residenceStatus: 'family-reunification' },
    { stage: 'housed', housingType: 'collective', residenceStatus: 'family-reunification' }, // one range of the filters' combined index
    { status: 'left', registeredFrom: '2024-06-01' }, // the index of those who left, in registration order: gathered
    { stage: 'left', registeredFrom: '2022-06-01', registeredTo: '2024-09-30' }, // the same, walked
    { stage: 'housed', registeredFrom: '2024-06-01' },
    { q: 'shevchenko' }, // gathered in the family names' order
    { q: 'olena' },
  ];
  it.each(FILTERS.flatMap((filter) => REGISTRY_SORTS.map((sort) => [filter, sort] as const)))('gives the page of %j sorted by %s', async (filter, sort) => {
    for (const page of [1, 3]) {
      const query: RegistryListQuery = { ...filter, sort, page, pageSize: 25 };
      const { ids, total } = expected(query);
      const answer = await reader.list(query);
      expect({ ids: answer.dossiers.map((dossier) => dossier.dossierId), total: answer.total }).toEqual({ ids, total });
    }
  });

  /** Whether the statement's walk of the sort's index ran, and whether its page from the gathered matches did (a fresh reader: nothing counted before). */
  async function branchesRun(query: RegistryListQuery): Promise<{ walked: boolean; gathered: boolean }> {
    const { sql, parameters } = await sentBy(dataSource, new CrtRegistryReader(dataSource), query);
    const { walked, gathered } = await statementRun(dataSource, sql, parameters);
    return { walked, gathered };
  }

  it('sends a filter an index holds ahead of the order with the walk alone, however few match', async () => {
    const statement = async (query: Partial<RegistryListQuery>) => {
      const spy = jest.spyOn(poolOf(dataSource), 'query');
      await new CrtRegistryReader(dataSource).list({ sort: 'familyName', page: 1, pageSize: 25, ...query });
      const [sql] = spy.mock.calls[0] as unknown as [string];
      spy.mockRestore();
      return sql;
    };
    const gathers = (sql: string) => sql.includes('FROM matches m');
    expect(gathers(await statement({ municipality: '71022' }))).toBe(false);
    expect(gathers(await statement({ municipality: '71022', stage: 'employed', sort: '-registeredOn' }))).toBe(false);
    expect(gathers(await statement({ registeredFrom: '2023-01-01', sort: 'registeredOn' }))).toBe(false);
    // The same filters in an order no index holds them ahead of.
    expect(gathers(await statement({ municipality: '71022', stage: 'employed' }))).toBe(true);
    expect(gathers(await statement({ registeredFrom: '2023-01-01' }))).toBe(true);
    expect(gathers(await statement({ municipality: '71022', housingType: 'collective', sort: 'registeredOn' }))).toBe(true);
  });

  it('walks the order for a filter matching many, and gathers the matches of one matching few, as its count says', async () => {
    const query = { sort: 'familyName', page: 1, pageSize: 25 } as const;
    expect(await branchesRun({ ...query, status: 'active' })).toEqual({ walked: true, gathered: false });
    expect(await branchesRun({ ...query, stage: 'employed', residenceStatus: 'family-reunification' })).toEqual({ walked: false, gathered: true });
    // A filter no dossier matches reads no page at all.
    expect(await branchesRun({ ...query, status: 'left', stage: 'housed' })).toEqual({ walked: false, gathered: false });
  });
});

/**
 * `left` with a range of registration dates is read from the index of those who left
 * (CrtLeftRegistrationIndex1733529600230, partial: `stage = 'left'`), which PostgreSQL can take
 * only because the list's statements are planned with their parameters' values; and no list of
 * another stage, nor a municipality's list of those who left, reads it. Planned as PostgreSQL plans
 * them for the service (no planner setting changed) on a registry shaped as the bench's: a third
 * of the dossiers left, the recently registered rarely. (On the empty registry of the block above,
 * with sorts and bitmaps off, PostgreSQL does read a municipality's `left` in registration order
 * from this index: a plan of a table without rows or statistics, which says nothing of one with
 * them; here, as at 125,053 and 1,006,261 dossiers, it reads (municipality, stage, …).)
 */
describe("CrtRegistryReader.list: `left` since a date from the index of those who left", () => {
  let dataSource: DataSource;
  registryDatabase((opened) => ({ dataSource } = opened));

  const LEFT_INDEX = 'crt_dossiers_left_registered_on_idx';
  const MUNICIPALITIES = ['11002', '44021', '24062', '31005', '71022', '12025', '21004'];

  beforeAll(async () => {
    // 30,000 dossiers registered over 1,700 days from 2022-03-01; four in ten of those registered
    // before 2025-06-11 left, one in twelve of those after (some 740 left since 2025-06-01).
    await dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, municipality_name, registered_on,
                                             housing_type, ever_employed, employed_now, left_on, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', 'F' || md5(i::text), 'UKR', ($2::text[])[1 + (i / 3) % 7], 'M' || (i / 3) % 7, date '2022-03-01' + r.day,
              CASE WHEN i % 5 > 0 THEN 'collective' END, i % 9 = 0, i % 9 = 0,
              CASE WHEN i % 100 < CASE WHEN r.day < 1198 THEN 40 ELSE 8 END THEN date '2022-03-01' + r.day + 30 END,
              timestamptz '2022-03-01' + (r.day + i % 60) * interval '1 day', 'temporary-protection'
         FROM generate_series(1, $1::int) i, LATERAL (SELECT (i * 37) % 1700 AS day) r`,
      [30_000, MUNICIPALITIES],
    );
    await dataSource.query('ANALYZE read_models.crt_dossiers');
  });

  /** The registry's indexes the statement's plan read (nodes that ran), with EXPLAIN ANALYZE of the statement as the reader sent it. */
  async function indexesRead(sql: string, parameters: unknown[]): Promise<string[]> {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, parameters);
      const names: string[] = [];
      // The registry's indexes are all named after its table (a bitmap index scan names no relation).
      type Node = { Plans?: Node[]; 'Actual Loops': number; 'Index Name'?: string };
      const visit = (node: Node) => {
        if (node['Index Name']?.startsWith(`${CRT_DOSSIERS_TABLE}_`) && node['Actual Loops'] > 0) names.push(node['Index Name']);
        node.Plans?.forEach(visit);
      };
      visit(plan[0].Plan);
      return names;
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  /** The ids of the page and the total counting the rows gives, for a filter of stage (or status) and registration dates. */
  async function counted(query: RegistryListQuery): Promise<{ ids: string[]; total: number }> {
    const [key, direction] = query.sort.startsWith('-') ? [query.sort.slice(1), 'DESC'] : [query.sort, 'ASC'];
    const column = { registeredOn: 'registered_on', familyName: 'family_name', municipality: 'municipality_name', lastRecordedAt: 'last_recorded_at' }[key];
    const rows: Array<{ id: string }> = await dataSource.query(
      `SELECT dossier_id::text AS id FROM read_models.crt_dossiers
        WHERE ($1::boolean IS NULL OR active = $1) AND ($2::text IS NULL OR stage = $2) AND ($3::text IS NULL OR municipality = $3)
          AND ($4::date IS NULL OR registered_on >= $4)
        ORDER BY ${column} ${direction}, dossier_id ${direction}`,
      [query.status === undefined ? null : query.status === 'active', query.stage ?? null, query.municipality ?? null, query.registeredFrom ?? null],
    );
    const from = (query.page - 1) * query.pageSize;
    return { ids: rows.slice(from, from + query.pageSize).map((row) => row.id), total: Math.min(rows.length, TOTAL_COUNTED_UP_TO) };
  }

  /** The page and total a reader answers, and the indexes its statement read. */
  async function listed(reader: CrtRegistryReader, query: RegistryListQuery) {
    const { sql, parameters, answer } = await sentBy(dataSource, reader, query);
    return { ids: answer.dossiers.map((dossier) => dossier.dossierId), total: answer.total, read: await indexesRead(sql, parameters) };
  }

  it.each(REGISTRY_SORTS)('reads `left` since a date from it, sorted by %s, counted or not (pages 1 and 3); pages and totals those of plain queries', async (sort) => {
    for (const filter of [{ status: 'left' as const }, { stage: 'left' as const }]) {
      // One reader: the first page counts the filter, the third takes the kept count.
      const reader = new CrtRegistryReader(dataSource);
      for (const page of [1, 3]) {
        const query: RegistryListQuery = { ...filter, registeredFrom: '2025-06-01', sort, page, pageSize: 25 };
        const { ids, total, read } = await listed(reader, query);
        expect({ filter, page, ids, total }).toEqual({ filter, page, ...(await counted(query)) });
        expect(read).toContain(LEFT_INDEX);
      }
    }
  });

  it('is read for no other stage or status since a date, nor for a municipality\'s list of those who left (the staff\'s list, from (municipality, stage, registered_on, …))', async () => {
    const others: Array<Partial<RegistryListQuery>> = [
      ...STAGES.filter((stage) => stage !== 'left').map((stage) => ({ stage, registeredFrom: '2025-06-01' })),
      { status: 'active', registeredFrom: '2025-06-01' },
    ];
    for (const filter of others) {
      for (const sort of ['-registeredOn', 'familyName'] as const) {
        const query: RegistryListQuery = { ...filter, sort, page: 1, pageSize: 25 };
        const { ids, total, read } = await listed(new CrtRegistryReader(dataSource), query);
        expect({ filter, sort, ids, total }).toEqual({ filter, sort, ...(await counted(query)) });
        expect({ filter, sort, read }).toEqual({ filter, sort, read: expect.not.arrayContaining([LEFT_INDEX]) });
      }
    }
    for (const municipality of MUNICIPALITIES) {
      const reader = new CrtRegistryReader(dataSource);
      for (const page of [1, 2, 3]) {
        const query: RegistryListQuery = { municipality, stage: 'left', sort: '-registeredOn', page, pageSize: 25 };
        const { ids, total, read } = await listed(reader, query);
        expect({ municipality, page, ids, total }).toEqual({ municipality, page, ...(await counted(query)) });
        expect({ municipality, page, read }).toEqual({ municipality, page, read: ['crt_dossiers_municipality_idx', ...(page > 1 ? ['crt_dossiers_pkey'] : [])] });
      }
    }
  });
});

/**
 * Where a page's statement plans both ways, a name searched for, and a filter whose page was
 * gathered (or matched none) at the version it was last counted at, are counted from the matches
 * the statement gathers: one scan of the registry gives the count and the page when the page is
 * gathered. Whichever way the page then goes, its total is the rows counted and the page the one
 * the filter and the order give: here against plain queries, version after version.
 */
describe('CrtRegistryReader.list: a count taken from the gathered matches', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

  /** `count` dossiers of this residence status and family name (rows as the projection leaves them, written directly). */
  const added = (count: number, residenceStatus: string, familyName: string) =>
    dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, nationality, municipality, registered_on,
                                             ever_employed, employed_now, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, 'Olena', $3, 'UKR', (ARRAY['11002', '44021', '71022'])[1 + i % 3], date '2022-03-01' + (i * 7) % 1000,
              false, false, now(), $2
         FROM generate_series(1, $1::int) i`,
      [count, residenceStatus, familyName],
    );
  const batchApplied = () => dataSource.query(`UPDATE ${CHECKPOINT_TABLE} SET updated_at = clock_timestamp() WHERE name = $1`, [CRT_REGISTRY]);

  beforeAll(async () => {
    await dataSource.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, state) VALUES ($1, 'live')`, [CRT_REGISTRY]);
    for (const familyName of ['Kovalenko', 'Shevchenko', 'Bondarenko', 'Tkachenko', 'Melnyk']) await added(600, 'temporary-protection', familyName);
    await added(30, 'family-reunification', 'Melnyk');
    await added(20, 'temporary-protection', 'Datsenko');
    // 3,050 rows: a first page is gathered up to some 276 matches (pageRead).
    await dataSource.query('ANALYZE read_models.crt_dossiers');
  });

  /** The page and total counting the rows gives, in registration order (descending, as the queries below ask). */
  async function counted(query: RegistryListQuery): Promise<{ ids: string[]; total: number; totalExact: boolean }> {
    const rows: Array<{ id: string }> = await dataSource.query(
      `SELECT dossier_id::text AS id FROM read_models.crt_dossiers
        WHERE ($1::text IS NULL OR residence_status = $1) AND ($2::text IS NULL OR search_text ILIKE '%' || $2 || '%')
        ORDER BY registered_on DESC, dossier_id DESC`,
      [query.residenceStatus ?? null, query.q ?? null],
    );
    const from = (query.page - 1) * query.pageSize;
    return { ids: rows.slice(from, from + query.pageSize).map((row) => row.id), total: Math.min(rows.length, TOTAL_COUNTED_UP_TO), totalExact: rows.length <= TOTAL_COUNTED_UP_TO };
  }

  /** The page as the reader answers it, how its total was counted, and what its statement ran. */
  async function listed(query: RegistryListQuery) {
    const { sql, parameters, answer } = await sentBy(dataSource, reader, query);
    const countedBy = sql.includes('::int FROM matches)') ? 'the matches' : sql.includes(') matching)') ? 'a scan of its own' : 'no count';
    return { ids: answer.dossiers.map((dossier) => dossier.dossierId), total: answer.total, totalExact: answer.totalExact, countedBy, ...(await statementRun(dataSource, sql, parameters)) };
  }

  it('counts a filter gathered at its last count from its matches at the next version, gathered (one scan) or walked, and by a scan of its own once it was walked', async () => {
    const query: RegistryListQuery = { residenceStatus: 'family-reunification', sort: '-registeredOn', page: 1, pageSize: 25 };
    // Counted the first time, nothing known of it: a count of its own, then gathered (30 match).
    expect(await listed(query)).toEqual({ ...(await counted(query)), countedBy: 'a scan of its own', walked: false, gathered: true, registryScans: 2 });
    await added(10, 'family-reunification', 'Melnyk');
    await batchApplied();
    expect(await listed(query)).toEqual({ ...(await counted(query)), countedBy: 'the matches', walked: false, gathered: true, registryScans: 1 });
    // Its next page at the same version takes the kept count.
    expect(await listed({ ...query, page: 2 })).toMatchObject({ ...(await counted({ ...query, page: 2 })), gathered: true, registryScans: 1 });
    // Grown past what a first page gathers: counted from the matches still, and walked.
    await added(400, 'family-reunification', 'Bondarenko');
    await batchApplied();
    expect(await listed(query)).toEqual({ ...(await counted(query)), countedBy: 'the matches', walked: true, gathered: false, registryScans: 2 });
    expect((await counted(query)).total).toBe(440);
    // Walked at its last count: walked alone, and counted by a scan of its own.
    await added(5, 'family-reunification', 'Melnyk');
    await batchApplied();
    expect(await listed(query)).toEqual({ ...(await counted(query)), countedBy: 'a scan of its own', walked: false, gathered: false, registryScans: 2 });
  });

  it('counts a name from its matches on a first page, gathered (one scan) or walked, and up to TOTAL_COUNTED_UP_TO', async () => {
    const page = { sort: '-registeredOn', page: 1, pageSize: 25 } as const;
    expect(await listed({ ...page, q: 'datsenko' })).toEqual({ ...(await counted({ ...page, q: 'datsenko' })), countedBy: 'the matches', walked: false, gathered: true, registryScans: 1 });
    expect(await listed({ ...page, q: 'shevchenko' })).toEqual({ ...(await counted({ ...page, q: 'shevchenko' })), countedBy: 'the matches', walked: true, gathered: false, registryScans: 2 });
    await added(TOTAL_COUNTED_UP_TO, 'temporary-protection', 'Tkachenko');
    await batchApplied();
    const beyond = await listed({ ...page, q: 'tkachenko' });
    expect(beyond).toEqual({ ...(await counted({ ...page, q: 'tkachenko' })), countedBy: 'the matches', walked: true, gathered: false, registryScans: 2 });
    expect(beyond).toMatchObject({ total: TOTAL_COUNTED_UP_TO, totalExact: false });
  });
});

/**
 * A searched word with pieces (three lower-case ASCII letters or digits) common in the registry's
 * sample (PostgreSQL's statistics of the search text) is asked of the trigram index by its rare
 * pieces, at least two, and checked whole on the rows they give: the same pages and totals as the
 * words asked of the index themselves, whatever the case, the letters or the characters LIKE
 * treats as wildcards.
 */
describe('CrtRegistryReader.list: a name asked of the trigram index by its rarest pieces', () => {
  let dataSource: DataSource;
  let reader: CrtRegistryReader;
  registryDatabase((opened) => ({ dataSource, reader } = opened));

  beforeAll(async () => {
    // Family names mostly ending in -enko (its pieces in most rows, as in the bench's), some of them
    // in other scripts and with characters LIKE treats as wildcards; numbers as the registry stores them.
    await dataSource.query(
      `INSERT INTO read_models.crt_dossiers (dossier_id, version, given_name, family_name, national_register_number, nationality, municipality, registered_on,
                                             ever_employed, employed_now, last_recorded_at, residence_status)
       SELECT gen_random_uuid(), 2, (ARRAY['Olena', 'Oleksandr', 'Iryna', 'ОЛЕНА', 'Şenol'])[1 + i % 5],
              (ARRAY['Shevchenko', 'Kovalenko', 'Bondarenko', 'Tkachenko', 'Melnyk', 'Шевченко', 'Ševčenko', 'Ko_val%enko'])[1 + i % 8],
              CASE WHEN i % 3 = 0 THEN to_char(85073000000 + i, 'FM00000000000') END, 'UKR', (ARRAY['11002', '44021', '71022'])[1 + i % 3],
              date '2022-03-01' + (i * 7) % 1000, false, false, timestamptz '2026-01-01' - i * interval '1 minute', 'temporary-protection'
         FROM generate_series(1, 4000) i`,
    );
    await dataSource.query('ANALYZE read_models.crt_dossiers');
  });

  /** The page and total with every word asked of the rows as the walk asks it (ILIKE), from a plain query. */
  async function plain(query: RegistryListQuery): Promise<{ ids: string[]; total: number }> {
    const words = (query.q ?? '').split(/\s+/).filter((word) => word !== '');
    const patterns = words.map((word) => `%${(/^\d[\d.-]*$/.test(word) ? word.replace(/\D/g, '') : word).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const rows: Array<{ id: string }> = await dataSource.query(
      `SELECT dossier_id::text AS id FROM read_models.crt_dossiers WHERE search_text ILIKE ALL($1::text[]) ORDER BY last_recorded_at DESC, dossier_id DESC`,
      [patterns],
    );
    const from = (query.page - 1) * query.pageSize;
    return { ids: rows.slice(from, from + query.pageSize).map((row) => row.id), total: Math.min(rows.length, TOTAL_COUNTED_UP_TO) };
  }

  it.each([
    'olena shevchenko', 'OLENA Shevchenko', 'lena chenko', 'shevch', 'enko', 'ole', 'ko', 'шевченко олена', 'ševčenko', 'şenol', 'ko_val%', 'al%en', '85.07.30', '8507300012',
  ])('answers %j as the words asked of the index themselves', async (q) => {
    for (const page of [1, 2]) {
      const query: RegistryListQuery = { q, sort: '-lastRecordedAt', page, pageSize: 25 };
      const answer = await reader.list(query);
      expect({ ids: answer.dossiers.map((dossier) => dossier.dossierId), total: answer.total }).toEqual(await plain(query));
    }
  });

  it('asks the index for the rarest two pieces of a word of common pieces, the word itself for one of rare pieces only or of one piece', async () => {
    const { sql, parameters } = await sentBy(dataSource, new CrtRegistryReader(dataSource), { q: 'olena shevchenko ole', sort: '-lastRecordedAt', page: 1, pageSize: 25 });
    const asked = parameters.filter((value): value is string => typeof value === 'string' && value.startsWith('%'));
    // "enk" and "nko" are in every -enko name, "che" and "hen" in two of the eight: never among the rarest of "shevchenko".
    expect(asked).toEqual(expect.arrayContaining(['%olena%', '%shevchenko%', '%ole%']));
    expect(asked.filter((value) => ['%enk%', '%nko%', '%che%', '%hen%'].includes(value))).toEqual([]);
    expect(asked).toHaveLength(3 + 4);
    expect(sql).toContain('texticlike(d.search_text, $1) AND texticlike(d.search_text, $2) AND d.search_text ILIKE $3 AND d.search_text LIKE $4');
    // The plan: the trigram index asked for the pieces and "ole", the two long words checked on the rows.
    const [{ 'QUERY PLAN': plan }] = await dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
    const conditions: string[] = [];
    const visit = (node: { Plans?: unknown[]; 'Index Name'?: string; 'Index Cond'?: string }) => {
      if (node['Index Name'] === 'crt_dossiers_search_trgm_idx') conditions.push(node['Index Cond']!);
      (node.Plans as Array<typeof node> | undefined)?.forEach(visit);
    };
    visit(plan[0].Plan);
    expect(conditions.length).toBeGreaterThan(0);
    for (const condition of conditions) {
      expect(condition).not.toContain('olena');
      expect(condition).not.toContain('shevchenko');
      expect(condition).toContain("(search_text ~~* '%ole%'::text)");
      expect(condition.match(/search_text ~~ '%[a-z0-9]{3}%'::text/g)).toHaveLength(4);
    }
  });

  it('asks the index for a word whose pieces are all rare (here in no row of the sample) itself', async () => {
    const { sql, parameters } = await sentBy(dataSource, new CrtRegistryReader(dataSource), { q: 'zyzzyva', sort: '-lastRecordedAt', page: 1, pageSize: 25 });
    expect(parameters.filter((value) => typeof value === 'string' && value.startsWith('%'))).toEqual(['%zyzzyva%']);
    expect(sql).not.toContain('texticlike');
  });

  it('asks the index for the words themselves on a registry not analysed yet', async () => {
    // The statistics dropped (the embedded server's user is a superuser), as before a first ANALYZE.
    await dataSource.query(`DELETE FROM pg_statistic WHERE starelid = 'read_models.crt_dossiers'::regclass`);
    try {
      const { sql, parameters } = await sentBy(dataSource, new CrtRegistryReader(dataSource), { q: 'olena shevchenko', sort: '-lastRecordedAt', page: 1, pageSize: 25 });
      expect(parameters.filter((value) => typeof value === 'string' && value.startsWith('%'))).toEqual(['%olena%', '%shevchenko%']);
      expect(sql).not.toContain('texticlike');
    } finally {
      await dataSource.query('ANALYZE read_models.crt_dossiers');
    }
  });
});

/** How a page is read, decided in the service for a filter counted before and in the statement for one not: the same rule. */
describe('pageRead and pageReadSql', () => {
  let dataSource: DataSource;
  registryDatabase((opened) => ({ dataSource } = opened));

  it('decide alike', async () => {
    const grid: Array<[number, number, number, number]> = [];
    for (const counted of [0, 1, 24, 25, 500, 1_581, 1_582, 5_000, 5_001, TOTAL_COUNTED_UP_TO, TOTAL_COUNTED_UP_TO + 1])
      for (const registryRows of [0, 100, 100_000, 1_000_000, 4_000_000])
        for (const offset of [0, 50, 975]) for (const pageSize of [1, 25, 200]) grid.push([counted, registryRows, offset, pageSize]);
    const decided: Array<{ read: string }> = await dataSource.query(
      `SELECT ${pageReadSql('g.offset_', 'g.page_size')} AS read
         FROM jsonb_to_recordset($1::jsonb) AS g(counted int, registry_rows real, offset_ int, page_size int, i int) ORDER BY g.i`,
      [JSON.stringify(grid.map(([counted, registry_rows, offset_, page_size], i) => ({ counted, registry_rows, offset_, page_size, i })))],
    );
    expect(decided.map(({ read }) => read)).toEqual(grid.map((cell) => pageRead(...cell)));
    // Both ways are taken somewhere in the grid, and none.
    expect(new Set(decided.map(({ read }) => read))).toEqual(new Set(['none', 'walk', 'gather']));
  });
});
