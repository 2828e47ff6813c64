import { READ_MODEL_MIGRATIONS } from '../schema';
import { PERSONAL_DATA_MIGRATIONS } from '@app/personal-data';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dossierStreamId, type DossierEvent } from '@app/domain';
import { PostgresEventStore } from '@app/event-store/postgres';
import { PersonalDataProtection } from '@app/personal-data';
import { dossierEventToAppend, recordedDossierEvent, registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { ProjectionEngine, type ProjectionContext } from '@app/projection-engine';
import { CRT_REGISTRY, crtRegistryProjection } from './crt-registry.projection';

/** A dossier's whole path, each step with the stage it leads to. */
const lifecycle = (dossierId: string): Array<[DossierEvent, string]> => [
  [registered(dossierId, '11002', '2022-03-24'), 'registered'],
  [{ type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-03-25' } }, 'housed'],
  [
    {
      type: 'PersonRehoused',
      data: {
        housingType: 'host-family',
        municipality: '11004',
        on: '2022-05-01',
        reason: 'site-closed',
        previousHousingType: 'collective',
        previousMunicipality: '11002',
      },
    },
    'housed',
  ],
  [{ type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2022-06-01' } }, 'inburgering'],
  [{ type: 'VdabRegistered', data: { on: '2022-07-01' } }, 'vdab'],
  [{ type: 'EmploymentStarted', data: { on: '2022-09-01' } }, 'employed'],
  [{ type: 'EmploymentEnded', data: { on: '2023-01-31', startedOn: '2022-09-01' } }, 'vdab'],
  [{ type: 'EmploymentStarted', data: { on: '2023-03-01' } }, 'employed'],
  [{ type: 'ResidenceStatusChanged', data: { on: '2023-04-01', status: 'single-permit', previousStatus: 'temporary-protection' } }, 'employed'],
  [{ type: 'PersonLeft', data: { on: '2023-06-30', reason: 'returned-to-ukraine' } }, 'left'],
  [{ type: 'DossierReopened', data: { on: '2024-02-01', municipality: '44021' } }, 'vdab'],
];

describe('crt-registry projection', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let dataSource: DataSource;
  let context: ProjectionContext;
  const personalData = PersonalDataProtection.withMasterSecret(randomBytes(48));
  const projection = crtRegistryProjection(personalData);

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    ({ dataSource, context } = database);
  });

  afterAll(async () => {
    await database?.close();
  });

  // node-pg reads a date as a local-midnight Date; the ::text columns come last and win, so dates read as written.
  const rowOf = async (dossierId: string) => {
    const [row] = await dataSource.query(
      `SELECT *, birth_date::text, registered_on::text, housing_since::text, inburgering_since::text,
              vdab_registered_on::text, employment_since::text, left_on::text, residence_status_since::text
         FROM read_models.crt_dossiers WHERE dossier_id = $1`,
      [dossierId],
    );
    return row as Record<string, unknown> | undefined;
  };
  const snapshot = () => dataSource.query('SELECT * FROM read_models.crt_dossiers ORDER BY dossier_id');

  /** A registration as the service stores it: the personal block sealed under the dossier's key. */
  async function encryptedRegistration(dossierId: string, version = 1) {
    const event = registered(dossierId, '11002', '2022-03-24');
    if (event.type !== 'DossierRegistered') throw new Error('registered() makes a registration');
    const recorded = recordedDossierEvent(dossierId, version, event);
    return { ...recorded, data: { ...recorded.data, personal: await personalData.protect(context.query, dossierId, event.data.personal) } };
  }

  it('decrypts an encrypted registration with its dossier key; after erasure a rebuild reads it ERASED', async () => {
    const dossierId = randomUUID();
    const stored = await encryptedRegistration(dossierId);
    expect(JSON.stringify(stored.data)).not.toContain('Kovalenko');
    await projection.apply([stored], context);
    expect(await rowOf(dossierId)).toMatchObject({
      given_name: 'Olena',
      family_name: 'Kovalenko',
      birth_date: '1985-07-30',
      national_register_number: '85073003328',
    });

    await personalData.erase(context.query, dossierId);
    await dataSource.query('DELETE FROM read_models.crt_dossiers WHERE dossier_id = $1', [dossierId]);
    await projection.apply([stored], context);
    expect(await rowOf(dossierId)).toMatchObject({
      given_name: '[erased]',
      family_name: '[erased]',
      birth_date: null,
      national_register_number: '[erased]',
      search_text: '[erased] [erased] [erased]',
    });
  });

  it('leaves out an encrypted registration whose key is missing, and says so: lost data is not shown as erased', async () => {
    const stored = await encryptedRegistration(randomUUID());
    const elsewhere = randomUUID();
    const lost = { ...stored, streamId: `dossier-${elsewhere}` };
    const sound = await encryptedRegistration(randomUUID());
    await projection.apply([lost, sound], context);
    expect(await rowOf(elsewhere)).toBeUndefined();
    expect(await rowOf(sound.streamId.slice('dossier-'.length))).toMatchObject({ given_name: 'Olena' });
    expect(database.noted).toContainEqual({ eventId: lost.id, leftOut: 'MissingPersonalDataKeyError' });
  });

  it('stores values PostgreSQL refuses in a safe form, and says which: U+0000 and unpaired surrogates as U+FFFD, impossible dates as NULL', async () => {
    const dossierId = randomUUID();
    const event = registered(dossierId, '11002', '0000-01-01');
    if (event.type !== 'DossierRegistered') throw new Error('registered() makes a registration');
    const hostile: DossierEvent = {
      ...event,
      data: { ...event.data, personal: { ...event.data.personal, givenName: 'a\u0000b', familyName: 'x\ud83d', birthDate: '2023-02-30' } },
    };
    const recorded = recordedDossierEvent(dossierId, 1, hostile);
    const withBadTimestamp = { ...recorded, metadata: { ...recorded.metadata, recordedAt: '0000-01-01T00:00:00Z' } };
    await projection.apply([withBadTimestamp], context);
    expect(await rowOf(dossierId)).toMatchObject({
      given_name: 'a\ufffdb',
      family_name: 'x\ufffd',
      birth_date: null,
      registered_on: null,
      last_recorded_at: withBadTimestamp.createdAt,
    });
    expect(database.noted).toContainEqual({
      eventId: recorded.id,
      fields: [
        { field: 'crt_dossiers.last_recorded_at', storedAs: 'commit time' },
        { field: 'crt_dossiers.given_name', storedAs: 'U+FFFD' },
        { field: 'crt_dossiers.family_name', storedAs: 'U+FFFD' },
        { field: 'crt_dossiers.birth_date', storedAs: 'NULL' },
        { field: 'crt_dossiers.registered_on', storedAs: 'NULL' },
      ],
    });
  });

  it('leaves out an event it cannot read (a field missing or of another type, an unknown type, a stream that is no dossier id) and goes on', async () => {
    const dossierId = randomUUID();
    const registration = recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24'));
    const missing = { ...recordedDossierEvent(dossierId, 2, { type: 'VdabRegistered', data: { on: '2022-04-01' } }), data: {} };
    const unknown = { ...recordedDossierEvent(dossierId, 3, { type: 'VdabRegistered', data: { on: '2022-04-01' } }), type: 'Teleported' };
    const noDossier = { ...recordedDossierEvent(dossierId, 4, { type: 'VdabRegistered', data: { on: '2022-04-01' } }), streamId: 'dossier-42' };
    const housed = recordedDossierEvent(dossierId, 5, { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-05-01' } });
    await projection.apply([registration, missing, unknown, noDossier, housed], context);
    expect(await rowOf(dossierId)).toMatchObject({ version: 5, housing_type: 'collective', vdab_registered_on: null });
    expect(database.noted).toEqual(
      expect.arrayContaining([
        { eventId: missing.id, leftOut: 'MalformedEventError: VdabRegistered: data.on is not a string' },
        { eventId: unknown.id, leftOut: 'UnknownEventError' },
        { eventId: noDossier.id, leftOut: 'MalformedEventError: VdabRegistered: the stream id is not dossier-<uuid>' },
      ]),
    );
  });

  it('marks an archived dossier and blanks the personal columns once its personal data is erased', async () => {
    const dossierId = randomUUID();
    const events: DossierEvent[] = [
      registered(dossierId, '11002', '2022-03-24'),
      { type: 'PersonLeft', data: { on: '2023-06-30', reason: 'returned-to-ukraine' } },
      { type: 'DossierArchived', data: { on: '2026-11-23', runId: 'run-1', closedBefore: '2024-01-01', reason: null, retainUntil: '2031-11-23' } },
      { type: 'PersonalDataErased', data: { on: '2026-11-24', reason: 'retention ended' } },
    ];
    for (const [index, event] of events.entries()) await projection.apply([recordedDossierEvent(dossierId, index + 1, event)], context);
    const [row] = await dataSource.query(
      `SELECT given_name, family_name, birth_date, national_register_number, search_text, archived_on::text, personal_data_erased_on::text, stage
         FROM read_models.crt_dossiers WHERE dossier_id = $1`,
      [dossierId],
    );
    expect(row).toEqual({
      given_name: '[erased]',
      family_name: '[erased]',
      birth_date: null,
      national_register_number: '[erased]',
      search_text: '[erased] [erased] [erased]',
      archived_on: '2026-11-23',
      personal_data_erased_on: '2026-11-24',
      stage: 'left',
    });
  });

  it('reads a registration whose personal block is already erased (a rebuild after erasure)', async () => {
    const dossierId = randomUUID();
    const event = registered(dossierId, '11002', '2022-03-24');
    if (event.type !== 'DossierRegistered') throw new Error('registered() makes a registration');
    const erasedPersonal = { givenName: '[erased]', familyName: '[erased]', birthDate: '[erased]', nationalRegisterNumber: '[erased]', attestationNumber: '[erased]' };
    await projection.apply([recordedDossierEvent(dossierId, 1, { ...event, data: { ...event.data, personal: erasedPersonal } })], context);
    expect(await rowOf(dossierId)).toMatchObject({ given_name: '[erased]', birth_date: null, registered_on: '2022-03-24' });
  });

  it('keeps one row per dossier through its lifecycle, with the current stage after each step', async () => {
    const dossierId = randomUUID();
    const stages: unknown[] = [];
    for (const [index, [event]] of lifecycle(dossierId).entries()) {
      await projection.apply([recordedDossierEvent(dossierId, index + 1, event)], context);
      stages.push((await rowOf(dossierId))?.stage);
    }
    expect(stages).toEqual(lifecycle(dossierId).map(([, stage]) => stage));
    expect(await rowOf(dossierId)).toEqual({
      dossier_id: dossierId,
      version: 11,
      given_name: 'Olena',
      family_name: 'Kovalenko',
      birth_date: '1985-07-30',
      national_register_number: '85073003328',
      sex: 'female',
      nationality: 'UKR',
      municipality: '44021',
      municipality_name: 'Gent',
      province_nis: '40000',
      province_name: 'Oost-Vlaanderen',
      registered_on: '2022-03-24',
      housing_type: null,
      housing_municipality: null,
      housing_since: null,
      inburgering_trajectory: 'voortraject',
      inburgering_since: '2022-06-01',
      vdab_registered_on: '2022-07-01',
      ever_employed: true,
      employed_now: false,
      employment_since: null,
      left_on: null,
      left_reason: null,
      // Back under temporary protection since the reopening: the single permit ended with the departure.
      residence_status: 'temporary-protection',
      residence_status_since: '2024-02-01',
      archived_on: null,
      personal_data_erased_on: null,
      last_recorded_at: new Date(Date.UTC(2024, 0, 1) + 11 * 60_000),
      active: true,
      stage: 'vdab',
      search_text: 'olena kovalenko 85073003328',
    });
  });

  it('shows housing, employment and departure while they last', async () => {
    const dossierId = randomUUID();
    const steps = lifecycle(dossierId);
    await projection.apply(
      steps.slice(0, 6).map(([event], index) => recordedDossierEvent(dossierId, index + 1, event)),
      context,
    );
    expect(await rowOf(dossierId)).toMatchObject({
      version: 6,
      municipality: '11002',
      municipality_name: 'Antwerpen',
      province_nis: '10000',
      province_name: 'Antwerpen',
      housing_type: 'host-family',
      housing_municipality: '11004',
      housing_since: '2022-05-01',
      employed_now: true,
      ever_employed: true,
      employment_since: '2022-09-01',
      stage: 'employed',
      active: true,
    });
    await projection.apply([recordedDossierEvent(dossierId, 7, { type: 'PersonLeft', data: { on: '2022-12-31', reason: 'moved-abroad' } })], context);
    expect(await rowOf(dossierId)).toMatchObject({
      version: 7,
      housing_type: null,
      housing_since: null,
      employed_now: false,
      employment_since: null,
      ever_employed: true,
      left_on: '2022-12-31',
      left_reason: 'moved-abroad',
      stage: 'left',
      active: false,
    });
  });

  it('names the municipality as the reference data has it on the business date; Brussels has no province', async () => {
    const brussels = randomUUID();
    const merged = randomUUID();
    await projection.apply(
      [
        recordedDossierEvent(brussels, 1, registered(brussels, '21004', '2022-04-01')),
        // Borsbeek, merged into Antwerpen on 2025-01-01, still under its own code in 2022.
        recordedDossierEvent(merged, 1, registered(merged, '11007', '2022-04-01')),
      ],
      context,
    );
    expect(await rowOf(brussels)).toMatchObject({ municipality: '21004', municipality_name: 'Brussel', province_nis: null, province_name: null });
    expect(await rowOf(merged)).toMatchObject({ municipality: '11007', municipality_name: 'Borsbeek', province_nis: '10000' });
  });

  it('is idempotent: events applied again, or an older event after a newer one, change nothing', async () => {
    const dossierId = randomUUID();
    const events = lifecycle(dossierId).map(([event], index) => recordedDossierEvent(dossierId, index + 1, event));
    await projection.apply(events, context);
    const once = await rowOf(dossierId);
    await projection.apply(events, context);
    await projection.apply([events[1]], context);
    await projection.apply(events.slice(0, 3).reverse(), context);
    expect(await rowOf(dossierId)).toEqual(once);
  });

  it('writes a batch as it would write its events one by one: dossiers interleaved, repeats, a registration arriving after a later event', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const path = (dossierId: string, steps: number) =>
      lifecycle(dossierId).slice(0, steps).map(([event], index) => recordedDossierEvent(dossierId, index + 1, event));
    const [pathA, pathB, pathC] = [path(a, 11), path(b, 6), path(c, 5)];
    const batch = [
      pathC[4], // before c's registration: ignored, as evolve() ignores it
      ...pathA.slice(0, 3),
      pathC[0],
      pathB[0],
      ...pathA.slice(3, 6),
      pathA[1], // again, older than the row
      ...pathB.slice(1),
      ...pathA.slice(6),
      pathC[1],
      pathC[1], // twice in a row
    ];
    for (const event of batch) await projection.apply([event], context);
    const oneByOne = await Promise.all([a, b, c].map(rowOf));
    expect(oneByOne.map((row) => row?.stage)).toEqual(['vdab', 'employed', 'housed']);
    await dataSource.query('DELETE FROM read_models.crt_dossiers WHERE dossier_id = ANY($1::uuid[])', [[a, b, c]]);
    await projection.apply(batch, context);
    expect(await Promise.all([a, b, c].map(rowOf))).toEqual(oneByOne);
  });

  it('ignores events of a dossier it never saw registered, as the domain does', async () => {
    const dossierId = randomUUID();
    await projection.apply([recordedDossierEvent(dossierId, 2, { type: 'VdabRegistered', data: { on: '2022-07-01' } })], context);
    expect(await rowOf(dossierId)).toBeUndefined();
  });

  it("a rebuild's fold reads no dossier key for a page whose keys were read ahead while the page before was folded", async () => {
    const page = await Promise.all([encryptedRegistration(randomUUID()), encryptedRegistration(randomUUID())]);
    const keyReads = (statements: string[]) => statements.filter((sql) => sql.includes('personal_data_keys')).length;
    const folded = async (readAhead: boolean) => {
      const writer = projection.rebuildWriter!();
      const ahead: string[] = [];
      const fold: string[] = [];
      const counted = (into: string[]): ProjectionContext['query'] => (sql, parameters) => {
        into.push(sql);
        return context.query(sql, parameters);
      };
      if (readAhead) writer.readAhead!(page, { schema: 'read_models', query: counted(ahead) });
      await writer.fold(page, { ...context, query: counted(fold) });
      return { ahead: keyReads(ahead), fold: keyReads(fold) };
    };
    expect(await folded(true)).toEqual({ ahead: 1, fold: 0 });
    expect(await folded(false)).toEqual({ ahead: 0, fold: 1 });
  });

  it('builds the same table through a rebuild from the log, ignoring other streams', async () => {
    const store = await PostgresEventStore.connect(database.url);
    try {
      for (let i = 0; i < 12; i++) {
        const dossierId = randomUUID();
        // Dossiers at every point of the path, appended in several commits.
        const events = lifecycle(dossierId).slice(0, 1 + (i % 11)).map(([event]) => dossierEventToAppend(event));
        await store.append(dossierStreamId(dossierId), events.slice(0, 2), 'no_stream');
        if (events.length > 2) await store.append(dossierStreamId(dossierId), events.slice(2), 2);
        await store.append(
          `nrn-reservation-${randomUUID()}`,
          [{ id: randomUUID(), type: 'NationalRegisterNumberReserved', data: { dossierId }, metadata: {} }],
          'no_stream',
        );
      }
      await dataSource.query('DELETE FROM read_models.crt_dossiers');
      const dossierEvents = await store.readAll({ streamPrefixes: projection.streamPrefixes });
      await projection.apply(dossierEvents, context);
      const applied = await snapshot();
      expect(applied).toHaveLength(12);

      const engine = new ProjectionEngine(store, dataSource, [projection], { batchSize: 7, retryDelayMs: 100, log: () => undefined });
      const result = await engine.rebuild(CRT_REGISTRY);
      expect(result.applied).toBe(dossierEvents.length);
      expect(await snapshot()).toEqual(applied);
      // Analyzed before the switch: the planner has column statistics of the new table (only ANALYZE writes them).
      const [{ columns }] = await dataSource.query(
        `SELECT count(*)::int AS columns FROM pg_stats WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers'`,
      );
      expect(columns).toBeGreaterThan(20);
      const indexes = await dataSource.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'read_models' AND tablename = 'crt_dossiers' ORDER BY 1`,
      );
      expect(indexes.map((row: { indexname: string }) => row.indexname)).toEqual([
        'crt_dossiers_family_name_idx',
        'crt_dossiers_housing_province_status_stage_idx',
        'crt_dossiers_housing_type_idx',
        'crt_dossiers_last_recorded_at_idx',
        'crt_dossiers_left_registered_on_idx',
        'crt_dossiers_municipality_family_name_idx',
        'crt_dossiers_municipality_idx',
        'crt_dossiers_municipality_last_recorded_at_idx',
        'crt_dossiers_municipality_municipality_name_idx',
        'crt_dossiers_municipality_name_idx',
        'crt_dossiers_municipality_registered_on_idx',
        'crt_dossiers_pkey',
        'crt_dossiers_province_idx',
        'crt_dossiers_registered_on_idx',
        'crt_dossiers_residence_status_idx',
        'crt_dossiers_search_trgm_idx',
      ]);
      // Built from the live index's definition, settings and all: the names' pending list stays bounded (CrtSearchPendingListLimit1733529600240).
      const [{ settings }] = await dataSource.query(`SELECT reloptions AS settings FROM pg_class WHERE oid = 'read_models.crt_dossiers_search_trgm_idx'::regclass`);
      expect(settings).toEqual(['gin_pending_list_limit=256']);
      // The counts per municipality and stage came with the copy, kept by its triggers, which came too.
      const triggers = await dataSource.query(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = 'read_models.crt_dossiers'::regclass AND NOT tgisinternal ORDER BY 1`,
      );
      expect(triggers.map((row: { tgname: string }) => row.tgname)).toEqual([
        'crt_stage_counts_deleted',
        'crt_stage_counts_inserted',
        'crt_stage_counts_truncated',
        'crt_stage_counts_updated',
      ]);
      const counted = 'SELECT municipality, stage, count(*)::int AS dossiers FROM read_models.crt_dossiers GROUP BY 1, 2 ORDER BY 1, 2';
      expect(await dataSource.query('SELECT municipality, stage, dossiers FROM read_models.crt_stage_counts ORDER BY 1, 2')).toEqual(await dataSource.query(counted));
      const [{ kept }] = await dataSource.query('SELECT sum(dossiers)::int AS kept FROM read_models.crt_stage_counts');
      expect(kept).toBe(12);
      // Switched in, the table's triggers keep the live counts (their schema's), not the copy's.
      await dataSource.query(`UPDATE read_models.crt_dossiers SET left_on = date '2024-05-01' WHERE left_on IS NULL`);
      expect(await dataSource.query('SELECT municipality, stage, dossiers FROM read_models.crt_stage_counts ORDER BY 1, 2')).toEqual(await dataSource.query(counted));
      expect(await dataSource.query(`SELECT stage FROM read_models.crt_stage_counts GROUP BY stage`)).toEqual([{ stage: 'left' }]);
    } finally {
      await store.close();
    }
  });
});
