import { READ_MODEL_MIGRATIONS } from '../schema';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dossierStreamId, type DossierEvent } from '@app/domain';
import { PostgresEventStore } from '@app/event-store/postgres';
import { dossierEventToAppend, recordedDossierEvent, registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { CHECKPOINT_TABLE, ProjectionEngine, type ProjectionContext } from '@app/projection-engine';
import { caughtUpOnce } from '../testing/caught-up-once';
import { countedFlushes } from '../testing/counted-flushes';
import { FLOW_STATISTICS, flowStatisticsProjection } from './flow-statistics.projection';

const lifecycle = (dossierId: string): DossierEvent[] => [
  registered(dossierId, '11002', '2022-03-24'),
  { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-03-25' } },
  {
    type: 'PersonRehoused',
    data: { housingType: 'host-family', municipality: '11004', on: '2022-05-01', reason: 'site-closed', previousHousingType: 'collective', previousMunicipality: '11002' },
  },
  { type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2022-06-01' } },
  { type: 'VdabRegistered', data: { on: '2022-07-01' } },
  { type: 'EmploymentStarted', data: { on: '2022-09-01' } },
  { type: 'EmploymentEnded', data: { on: '2023-01-31', startedOn: '2022-09-01' } },
  { type: 'ResidenceStatusChanged', data: { on: '2023-03-01', status: 'single-permit', previousStatus: 'temporary-protection' } },
  { type: 'PersonLeft', data: { on: '2023-06-30', reason: 'returned-to-ukraine' } },
  { type: 'DossierReopened', data: { on: '2024-02-01', municipality: '44021' } },
];

describe('flow-statistics projection', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let dataSource: DataSource;
  let context: ProjectionContext;
  const personalData = PersonalDataProtection.withMasterSecret(randomBytes(48));
  const projection = flowStatisticsProjection(personalData);

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    ({ dataSource, context } = database);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('keeps text PostgreSQL cannot store with U+FFFD and leaves out, noted, an event whose business date it cannot store', async () => {
    const dossierId = randomUUID();
    const events = [
      recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24')),
      recordedDossierEvent(dossierId, 2, { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '0000-01-01' } }),
      recordedDossierEvent(dossierId, 3, { type: 'PersonLeft', data: { on: '2022-06-30', reason: 'moved\u0000abroad' as never } }),
    ];
    await projection.apply(events, context);
    const kept = await dataSource.query(
      'SELECT version, type, occurred_on::text, reason FROM read_models.stat_events WHERE dossier_id = $1 AND recorded_to IS NULL ORDER BY version',
      [dossierId],
    );
    expect(kept).toEqual([
      { version: 1, type: 'DossierRegistered', occurred_on: '2022-03-24', reason: null },
      { version: 3, type: 'PersonLeft', occurred_on: '2022-06-30', reason: 'moved\ufffdabroad' },
    ]);
    expect((await periodsOf(dossierId)).map((period: { stage: string }) => period.stage)).toEqual(['registered', 'left']);
    expect(database.noted).toEqual(
      expect.arrayContaining([
        { eventId: events[1].id, leftOut: 'stat_events.occurred_on: not a date PostgreSQL can store, so the event is not counted' },
        { eventId: events[2].id, fields: [{ field: 'stat_events.reason', storedAs: 'U+FFFD' }] },
      ]),
    );
  });

  const periodsOf = (dossierId: string) =>
    dataSource.query(
      `SELECT valid_from::text, valid_to::text, active, stage, housing_type, municipality, province_nis, employed_now, ever_employed, vdab, inburgering,
              residence_status
         FROM read_models.stat_dossier_periods WHERE dossier_id = $1 AND recorded_to IS NULL ORDER BY valid_from`,
      [dossierId],
    );
  /** Stage of one dossier as of a date, as the stock query reads it. */
  const stageOn = async (dossierId: string, date: string) => {
    const [row] = await dataSource.query(
      `SELECT stage FROM read_models.stat_dossier_periods
        WHERE dossier_id = $1 AND recorded_to IS NULL AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`,
      [dossierId, date],
    );
    return (row?.stage as string | undefined) ?? null;
  };
  const monthlyCounts = async (dossierId: string, type: string) =>
    dataSource.query(
      `SELECT to_char(occurred_on, 'YYYY-MM') AS month, count(*)::int AS n FROM read_models.stat_events
        WHERE dossier_id = $1 AND type = $2 AND recorded_to IS NULL GROUP BY 1 ORDER BY 1`,
      [dossierId, type],
    );
  const snapshot = async () => ({
    events: await dataSource.query('SELECT e.*, e.occurred_on::text FROM read_models.stat_events e ORDER BY e.dossier_id, e.version, e.recorded_from'),
    periods: await dataSource.query(
      'SELECT p.*, p.valid_from::text, p.valid_to::text FROM read_models.stat_dossier_periods p ORDER BY p.dossier_id, p.valid_from, p.recorded_from',
    ),
    persons: await dataSource.query(
      'SELECT a.*, a.valid_from::text, a.valid_to::text FROM read_models.stat_person_attributes a ORDER BY a.dossier_id, a.valid_from',
    ),
    flowCounts: await dataSource.query(
      'SELECT c.*, c.period::text FROM read_models.stat_flow_counts c ORDER BY c.interval, c.level, c.period, c.grp, c.measure, c.category',
    ),
    flowDays: await dataSource.query(
      'SELECT d.*, d.period::text, d.day::text FROM read_models.stat_flow_days d ORDER BY d.interval, d.level, d.period, d.day, d.grp, d.measure, d.category',
    ),
  });

  it('keeps nothing personal', async () => {
    const columns = await dataSource.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'read_models' AND table_name IN ('stat_events', 'stat_dossier_periods')`,
    );
    const names = columns.map((c: { column_name: string }) => c.column_name).join(' ');
    expect(names).not.toMatch(/name|birth|national|attest|sex|nationality|household/);
  });

  /** A registration as the service stores it: the personal block sealed under the dossier's key. */
  async function encryptedRegistration(dossierId: string, birthDate: string, sex: 'female' | 'male' | 'x' | null) {
    const event = registered(dossierId, '11002', '2022-03-24');
    if (event.type !== 'DossierRegistered') throw new Error('registered() makes a registration');
    const recorded = recordedDossierEvent(dossierId, 1, { ...event, data: { ...event.data, sex, personal: { ...event.data.personal, birthDate } } });
    return { ...recorded, data: { ...recorded.data, personal: await personalData.protect(context.query, dossierId, { ...event.data.personal, birthDate }) } };
  }
  const attributesOf = (dossierId: string) =>
    dataSource.query(
      `SELECT valid_from::text, valid_to::text, sex, age_band FROM read_models.stat_person_attributes WHERE dossier_id = $1 ORDER BY valid_from`,
      [dossierId],
    );

  it('keeps of a person only their sex and the runs of age bands from the registration on, read from the sealed birth date; an erasure forgets the bands', async () => {
    const dossierId = randomUUID();
    const stored = await encryptedRegistration(dossierId, '2004-08-15', 'x');
    await projection.apply([stored], context);
    expect(await attributesOf(dossierId)).toEqual([
      { valid_from: '2022-03-24', valid_to: '2022-08-15', sex: 'x', age_band: '0-17' },
      { valid_from: '2022-08-15', valid_to: '2029-08-15', sex: 'x', age_band: '18-24' },
      { valid_from: '2029-08-15', valid_to: '2049-08-15', sex: 'x', age_band: '25-44' },
      { valid_from: '2049-08-15', valid_to: '2069-08-15', sex: 'x', age_band: '45-64' },
      { valid_from: '2069-08-15', valid_to: null, sex: 'x', age_band: '65+' },
    ]);
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'read_models' AND table_name = 'stat_person_attributes' ORDER BY ordinal_position`,
    );
    expect(columns.map((c: { column_name: string }) => c.column_name)).toEqual(['dossier_id', 'valid_from', 'valid_to', 'sex', 'age_band']);

    await personalData.erase(context.query, dossierId);
    const erased = recordedDossierEvent(dossierId, 2, { type: 'PersonalDataErased', data: { on: '2024-01-10', reason: 'GDPR art. 17' } });
    await projection.apply([erased], context);
    const forgotten = [{ valid_from: '2022-03-24', valid_to: null, sex: 'x', age_band: null }];
    expect(await attributesOf(dossierId)).toEqual(forgotten);
    // Applied again (a rebuild): the registration reads erased, and the same row comes out.
    await projection.apply([stored, erased], context);
    expect(await attributesOf(dossierId)).toEqual(forgotten);
  });

  it('counts a person whose birth date cannot be read (the key lost) in no age band, says so, and goes on', async () => {
    const stored = await encryptedRegistration(randomUUID(), '1960-01-01', null);
    const elsewhere = randomUUID();
    const lost = { ...stored, streamId: `dossier-${elsewhere}` };
    await projection.apply([lost], context);
    expect(await attributesOf(elsewhere)).toEqual([{ valid_from: '2022-03-24', valid_to: null, sex: null, age_band: null }]);
    expect((await periodsOf(elsewhere)).map((period: { stage: string }) => period.stage)).toEqual(['registered']);
    expect(database.noted).toContainEqual({ eventId: lost.id, fields: [{ field: 'stat_person_attributes.age_band', storedAs: 'NULL' }] });
  });

  it('folds a dossier into periods on the business-date axis, with where each event counts', async () => {
    const dossierId = randomUUID();
    await projection.apply(lifecycle(dossierId).map((event, index) => recordedDossierEvent(dossierId, index + 1, event)), context);
    expect(await periodsOf(dossierId)).toEqual([
      { valid_from: '2022-03-24', valid_to: '2022-03-25', active: true, stage: 'registered', housing_type: null, municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: false, vdab: false, inburgering: false, residence_status: 'temporary-protection' },
      { valid_from: '2022-03-25', valid_to: '2022-05-01', active: true, stage: 'housed', housing_type: 'collective', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: false, vdab: false, inburgering: false, residence_status: 'temporary-protection' },
      { valid_from: '2022-05-01', valid_to: '2022-06-01', active: true, stage: 'housed', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: false, vdab: false, inburgering: false, residence_status: 'temporary-protection' },
      { valid_from: '2022-06-01', valid_to: '2022-07-01', active: true, stage: 'inburgering', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: false, vdab: false, inburgering: true, residence_status: 'temporary-protection' },
      { valid_from: '2022-07-01', valid_to: '2022-09-01', active: true, stage: 'vdab', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: false, vdab: true, inburgering: true, residence_status: 'temporary-protection' },
      { valid_from: '2022-09-01', valid_to: '2023-01-31', active: true, stage: 'employed', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: true, ever_employed: true, vdab: true, inburgering: true, residence_status: 'temporary-protection' },
      { valid_from: '2023-01-31', valid_to: '2023-03-01', active: true, stage: 'vdab', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: true, vdab: true, inburgering: true, residence_status: 'temporary-protection' },
      { valid_from: '2023-03-01', valid_to: '2023-06-30', active: true, stage: 'vdab', housing_type: 'host-family', municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: true, vdab: true, inburgering: true, residence_status: 'single-permit' },
      { valid_from: '2023-06-30', valid_to: '2024-02-01', active: false, stage: 'left', housing_type: null, municipality: '11002', province_nis: '10000', employed_now: false, ever_employed: true, vdab: true, inburgering: true, residence_status: 'single-permit' },
      { valid_from: '2024-02-01', valid_to: null, active: true, stage: 'vdab', housing_type: null, municipality: '44021', province_nis: '40000', employed_now: false, ever_employed: true, vdab: true, inburgering: true, residence_status: 'temporary-protection' },
    ]);
    const attributed = await dataSource.query(
      'SELECT version, municipality, province_nis FROM read_models.stat_events WHERE dossier_id = $1 AND version IN (9, 10) AND recorded_to IS NULL ORDER BY version',
      [dossierId],
    );
    expect(attributed).toEqual([
      { version: 9, municipality: '11002', province_nis: '10000' },
      { version: 10, municipality: '44021', province_nis: '40000' },
    ]);
  });

  it('keeps where the person is housed: per period, and per event the housing it leaves them in (a departure: the one it ends), moved by a late rehousing', async () => {
    const dossierId = randomUUID();
    await projection.apply(lifecycle(dossierId).map((event, index) => recordedDossierEvent(dossierId, index + 1, event)), context);
    const housing = async () => ({
      periods: (
        await dataSource.query(
          'SELECT valid_from::text, housing_municipality, housing_province_nis FROM read_models.stat_dossier_periods WHERE dossier_id = $1 AND recorded_to IS NULL ORDER BY valid_from',
          [dossierId],
        )
      ).map((p: Record<string, string | null>) => [p.valid_from, p.housing_municipality, p.housing_province_nis]),
      events: (
        await dataSource.query('SELECT version, housing_municipality, housing_province_nis FROM read_models.stat_events WHERE dossier_id = $1 AND recorded_to IS NULL ORDER BY version', [
          dossierId,
        ])
      ).map((e: Record<string, string | number | null>) => [e.version, e.housing_municipality, e.housing_province_nis]),
    });
    const before = await housing();
    expect(before.periods).toEqual([
      ['2022-03-24', null, null],
      ['2022-03-25', '11002', '10000'],
      ...['2022-05-01', '2022-06-01', '2022-07-01', '2022-09-01', '2023-01-31', '2023-03-01'].map((from) => [from, '11004', '10000']),
      ['2023-06-30', null, null],
      ['2024-02-01', null, null],
    ]);
    expect(before.events).toEqual([
      [1, null, null],
      [2, '11002', '10000'],
      ...[3, 4, 5, 6, 7, 8, 9].map((version) => [version, '11004', '10000']),
      [10, null, null],
    ]);
    // Recorded late: rehoused in Zwijndrecht on 1 August 2022, so the job, the status change and the departure after it count there.
    await projection.apply(
      [
        recordedDossierEvent(dossierId, 11, {
          type: 'PersonRehoused',
          data: { housingType: 'loi', municipality: '11056', on: '2022-08-01', reason: 'moved-municipality', previousHousingType: 'host-family', previousMunicipality: '11004' },
        }),
      ],
      context,
    );
    const after = await housing();
    expect(after.events).toEqual([
      ...before.events.slice(0, 5),
      ...[6, 7, 8, 9].map((version) => [version, '11056', '10000']),
      [10, null, null],
      [11, '11056', '10000'],
    ]);
    expect(after.periods.find(([from]: string[]) => from === '2022-08-01')).toEqual(['2022-08-01', '11056', '10000']);
  });

  it('puts a backdated event in its own month: the count moves to the earlier period', async () => {
    const dossierId = randomUUID();
    await projection.apply(
      [
        recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24')),
        recordedDossierEvent(dossierId, 2, { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-06-10' } }),
        recordedDossierEvent(dossierId, 3, { type: 'PersonLeft', data: { on: '2022-08-20', reason: 'moved-abroad' } }),
      ],
      context,
    );
    expect(await stageOn(dossierId, '2022-04-30')).toBe('registered');
    expect(await stageOn(dossierId, '2022-07-31')).toBe('housed');
    // Recorded later, in a batch of its own: an enrolment that happened in April.
    await projection.apply([recordedDossierEvent(dossierId, 4, { type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2022-04-15' } })], context);
    expect(await monthlyCounts(dossierId, 'InburgeringEnrolled')).toEqual([{ month: '2022-04', n: 1 }]);
    expect(await stageOn(dossierId, '2022-04-14')).toBe('registered');
    expect(await stageOn(dossierId, '2022-04-30')).toBe('inburgering');
    expect(await stageOn(dossierId, '2022-07-31')).toBe('inburgering');
    expect(await stageOn(dossierId, '2022-08-31')).toBe('left');
    expect(await stageOn(dossierId, '2022-03-23')).toBeNull();
  });

  it('moves events kept earlier to where they count once a late move is recorded before them', async () => {
    const dossierId = randomUUID();
    await projection.apply(
      [
        recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24')),
        recordedDossierEvent(dossierId, 2, { type: 'VdabRegistered', data: { on: '2022-07-01' } }),
        recordedDossierEvent(dossierId, 3, { type: 'EmploymentStarted', data: { on: '2022-09-01' } }),
      ],
      context,
    );
    // Recorded later: the person had moved to Gent in May, before both.
    await projection.apply(
      [
        recordedDossierEvent(dossierId, 4, { type: 'PersonLeft', data: { on: '2022-05-01', reason: 'moved-within-belgium' } }),
        recordedDossierEvent(dossierId, 5, { type: 'DossierReopened', data: { on: '2022-05-02', municipality: '44021' } }),
      ],
      context,
    );
    expect(
      await dataSource.query(
        'SELECT version, municipality, province_nis FROM read_models.stat_events WHERE dossier_id = $1 AND recorded_to IS NULL ORDER BY version',
        [dossierId],
      ),
    ).toEqual([
      { version: 1, municipality: '11002', province_nis: '10000' },
      { version: 2, municipality: '44021', province_nis: '40000' },
      { version: 3, municipality: '44021', province_nis: '40000' },
      { version: 4, municipality: '11002', province_nis: '10000' },
      { version: 5, municipality: '44021', province_nis: '40000' },
    ]);
  });

  it('keeps every recording moment: the rows as of a moment are the timeline of the events recorded by then', async () => {
    const dossierId = randomUUID();
    const at = (moment: string) => new Date(`2024-0${moment}Z`);
    const recordedAt = (version: number, event: DossierEvent, moment: string) => ({ ...recordedDossierEvent(dossierId, version, event), createdAt: at(moment) });
    // Given a registration and a housing, each recorded on its own day,
    await projection.apply([recordedAt(1, registered(dossierId, '11002', '2022-03-24'), '4-01T08:00:00.000')], context);
    await projection.apply([recordedAt(2, { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-04-01' } }, '4-02T08:00:00.000')], context);
    // and one batch holding two events recorded at different moments,
    await projection.apply(
      [
        recordedAt(3, { type: 'VdabRegistered', data: { on: '2022-07-01' } }, '4-03T08:00:00.000'),
        recordedAt(4, { type: 'PersonLeft', data: { on: '2022-08-01', reason: 'moved-abroad' } }, '4-04T08:00:00.000'),
      ],
      context,
    );
    // when a move in May (before the VDAB registration) is recorded late,
    await projection.apply(
      [
        recordedAt(5, { type: 'PersonLeft', data: { on: '2022-05-01', reason: 'moved-within-belgium' } }, '4-05T08:00:00.000'),
        recordedAt(6, { type: 'DossierReopened', data: { on: '2022-05-02', municipality: '44021' } }, '4-05T08:00:00.000'),
      ],
      context,
    );
    // then each moment keeps what it knew: the stage on 15 July and 15 August, and where the VDAB registration counts.
    const asOf = async (moment: string) => {
      const T = at(moment).toISOString();
      const valid = `recorded_from <= $2 AND (recorded_to IS NULL OR recorded_to > $2)`;
      const stage = async (date: string) =>
        ((
          await dataSource.query(
            `SELECT stage FROM read_models.stat_dossier_periods WHERE dossier_id = $1 AND ${valid} AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)`,
            [dossierId, T, date],
          )
        )[0]?.stage as string | undefined) ?? null;
      const [vdab] = await dataSource.query(`SELECT municipality FROM read_models.stat_events WHERE dossier_id = $1 AND ${valid} AND version = 3`, [dossierId, T]);
      const [{ events }] = await dataSource.query(`SELECT count(*)::int AS events FROM read_models.stat_events WHERE dossier_id = $1 AND ${valid}`, [dossierId, T]);
      return { july: await stage('2022-07-15'), august: await stage('2022-08-15'), vdabCountsIn: vdab?.municipality ?? null, events };
    };
    expect(await asOf('3-31T23:59:59.999')).toEqual({ july: null, august: null, vdabCountsIn: null, events: 0 });
    expect(await asOf('4-01T08:00:00.000')).toEqual({ july: 'registered', august: 'registered', vdabCountsIn: null, events: 1 });
    expect(await asOf('4-02T09:00:00.000')).toEqual({ july: 'housed', august: 'housed', vdabCountsIn: null, events: 2 });
    expect(await asOf('4-03T08:00:00.000')).toEqual({ july: 'vdab', august: 'vdab', vdabCountsIn: '11002', events: 3 });
    expect(await asOf('4-04T08:00:00.000')).toEqual({ july: 'vdab', august: 'left', vdabCountsIn: '11002', events: 4 });
    expect(await asOf('4-05T07:59:59.999')).toEqual({ july: 'vdab', august: 'left', vdabCountsIn: '11002', events: 4 });
    expect(await asOf('4-05T08:00:00.000')).toEqual({ july: 'vdab', august: 'left', vdabCountsIn: '44021', events: 6 });
    // and the rows valid now are the timeline of every event, as before.
    expect((await periodsOf(dossierId)).map((p: { valid_from: string; stage: string; municipality: string }) => [p.valid_from, p.stage, p.municipality])).toEqual([
      ['2022-03-24', 'registered', '11002'],
      ['2022-04-01', 'housed', '11002'],
      ['2022-05-01', 'left', '11002'],
      ['2022-05-02', 'registered', '44021'],
      ['2022-07-01', 'vdab', '44021'],
      ['2022-08-01', 'left', '44021'],
    ]);
  });

  it('orders events of one date by stream order: left and reopened on the same day leave the dossier active', async () => {
    const dossierId = randomUUID();
    await projection.apply(
      [
        recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24')),
        recordedDossierEvent(dossierId, 2, { type: 'PersonLeft', data: { on: '2022-05-02', reason: 'moved-within-belgium' } }),
        recordedDossierEvent(dossierId, 3, { type: 'DossierReopened', data: { on: '2022-05-02', municipality: '71022' } }),
      ],
      context,
    );
    expect(await periodsOf(dossierId)).toEqual([
      expect.objectContaining({ valid_from: '2022-03-24', valid_to: '2022-05-02', active: true, municipality: '11002' }),
      expect.objectContaining({ valid_from: '2022-05-02', valid_to: null, active: true, municipality: '71022', province_nis: '70000' }),
    ]);
  });

  it('is idempotent: a batch applied again, or in pieces, changes nothing', async () => {
    const dossierId = randomUUID();
    const events = lifecycle(dossierId).map((event, index) => recordedDossierEvent(dossierId, index + 1, event));
    await projection.apply(events, context);
    const once = await snapshot();
    await projection.apply(events, context);
    await projection.apply([events[3], events[1]], context);
    expect(await snapshot()).toEqual(once);
  });

  it('builds identical tables through a rebuild from the log', async () => {
    const store = await PostgresEventStore.connect(database.url);
    try {
      for (let i = 0; i < 10; i++) {
        const dossierId = randomUUID();
        const events = lifecycle(dossierId).slice(0, 1 + (i % 10));
        await store.append(dossierStreamId(dossierId), events.slice(0, 2).map(dossierEventToAppend), 'no_stream');
        if (events.length > 2) await store.append(dossierStreamId(dossierId), events.slice(2).map(dossierEventToAppend), 2);
      }
      // A late fact for one dossier: an enrolment dated before its housing, recorded last.
      const late = randomUUID();
      await store.append(dossierStreamId(late), lifecycle(late).slice(0, 3).map(dossierEventToAppend), 'no_stream');
      await store.append(dossierStreamId(late), [dossierEventToAppend({ type: 'VdabRegistered', data: { on: '2022-04-02' } })], 3);

      await dataSource.query('DELETE FROM read_models.stat_events');
      await dataSource.query('DELETE FROM read_models.stat_dossier_periods');
      await dataSource.query('DELETE FROM read_models.stat_person_attributes');
      await dataSource.query('DELETE FROM read_models.stat_flow_counts');
      await dataSource.query('DELETE FROM read_models.stat_flow_days');
      const all = await store.readAll({ streamPrefixes: projection.streamPrefixes });
      // Event by event, as the engine does when it isolates a culprit.
      for (const event of all) await projection.apply([event], context);
      const applied = await snapshot();
      expect(applied.events.filter((row: { recorded_to: Date | null }) => row.recorded_to === null)).toHaveLength(all.length);
      expect(applied.persons.length).toBeGreaterThanOrEqual(11);
      expect(await stageOn(late, '2022-04-02')).toBe('vdab');

      const engine = new ProjectionEngine(store, dataSource, [projection], { batchSize: 7, retryDelayMs: 100, log: () => undefined });
      const result = await engine.rebuild(FLOW_STATISTICS);
      expect(result.applied).toBe(all.length);
      expect(await snapshot()).toEqual(applied);
      const indexes = await dataSource.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'read_models' AND tablename IN ('stat_events', 'stat_dossier_periods') ORDER BY 1`,
      );
      expect(indexes.map((row: { indexname: string }) => row.indexname)).toEqual([
        'stat_dossier_periods_active_idx',
        'stat_dossier_periods_pkey',
        'stat_events_occurred_on_idx',
        'stat_events_pkey',
      ]);
    } finally {
      await store.close();
    }
  });

  it('forgets an erased person\'s age bands in a rebuild and a catch-up from empty whatever flush their registration came in (the persons\' key built after the rows in the rebuild)', async () => {
    const store = await PostgresEventStore.connect(database.url);
    try {
      // Six people, each registered with a birth date that reads (three bands each), then a few events each;
      // the first and the last erased at the log's end, their keys kept: a rebuild that read the
      // registrations before the keys went, the erasure flushes after the first's registration.
      const dossierIds = Array.from({ length: 6 }, () => randomUUID());
      for (const dossierId of dossierIds) await store.append(dossierStreamId(dossierId), lifecycle(dossierId).slice(0, 4).map(dossierEventToAppend), 'no_stream');
      const erasedIds = [dossierIds[0], dossierIds[5]];
      for (const dossierId of erasedIds) {
        await store.append(dossierStreamId(dossierId), [dossierEventToAppend({ type: 'PersonalDataErased', data: { on: '2024-01-10', reason: 'GDPR art. 17' } })], 4);
      }
      const tables = projection.tables.map((table) => `read_models.${table}`).join(', ');
      await dataSource.query(`TRUNCATE ${tables}`);
      for (const event of await store.readAll({ streamPrefixes: projection.streamPrefixes })) await projection.apply([event], context);
      const applied = await snapshot();
      for (const dossierId of dossierIds) {
        expect(await attributesOf(dossierId)).toEqual(
          erasedIds.includes(dossierId)
            ? [{ valid_from: '2022-03-24', valid_to: null, sex: 'female', age_band: null }]
            : [
                { valid_from: '2022-03-24', valid_to: '2030-07-30', sex: 'female', age_band: '25-44' },
                { valid_from: '2030-07-30', valid_to: '2050-07-30', sex: 'female', age_band: '45-64' },
                { valid_from: '2050-07-30', valid_to: null, sex: 'female', age_band: '65+' },
              ],
        );
      }

      // A flush every few events: the erasures come flushes after the registrations. Forgotten at the last flush (the
      // default), or at each flush once more than one waits.
      const everyErasure = flowStatisticsProjection(personalData, undefined, { heldCells: 200_000, stagedPerStep: 5_000, erasuresHeld: 1 });
      const options = { batchSize: 3, retryDelayMs: 100, log: () => undefined, rebuildMemoryRows: 4 };
      for (const rebuilt of [projection, everyErasure]) {
        await new ProjectionEngine(store, dataSource, [rebuilt], options).rebuild(FLOW_STATISTICS);
        expect(await snapshot()).toEqual(applied);
        const [key] = await dataSource.query(`SELECT pg_get_constraintdef(oid) AS key FROM pg_constraint WHERE conrelid = 'read_models.stat_person_attributes'::regclass AND contype = 'p'`);
        expect(key).toEqual({ key: 'PRIMARY KEY (dossier_id, valid_from)' });
      }

      // The live tables emptied, the checkpoint gone: the engine catches up from empty in one pass, the key kept.
      await dataSource.query(`TRUNCATE ${tables}`);
      await dataSource.query(`DELETE FROM ${CHECKPOINT_TABLE} WHERE name = $1`, [FLOW_STATISTICS]);
      const { projection: counted, flushes } = countedFlushes(projection);
      await caughtUpOnce(store, dataSource, counted, options);
      expect(flushes()).toBeGreaterThan(2);
      expect(await snapshot()).toEqual(applied);
    } finally {
      await store.close();
    }
  });
});
