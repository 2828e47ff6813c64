import type { DataSource } from 'typeorm';
import { CHECKPOINT_TABLE, PROJECTION_ENGINE_MIGRATIONS } from '@app/projection-engine';
import { openMigratedDatabase } from '@app/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CrtDossier } from './crt-dossier.entity';
import { CRT_REGISTRY } from './crt-registry.projection';
import { CrtRegistryReader, TOTAL_COUNTED_UP_TO, type RegistryListQuery } from './crt-registry.reader';

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
