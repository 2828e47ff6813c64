import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  addDays,
  DEPARTURE_REASONS,
  decideInTurn,
  DOSSIER_EVENT_TYPES,
  defaultMunicipalityDirectory,
  ERASED,
  evolve,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  initialState,
  OTHER_RESIDENCE_STATUSES,
  RESIDENCE_STATUSES,
  REHOUSING_REASONS,
  stageOf,
  type DossierCommand,
  type DossierEvent,
  type DossierState,
  type RegisteredDossier,
} from '@app/domain';
import { recordedDossierEvent, registered, testContext } from '@app/domain/testing';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { writeVersionedRows } from '@app/projection-engine';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { CRT_DOSSIERS_TABLE, crtRegistryProjection } from './crt-registry.projection';

/**
 * The CRT registry folds its columns itself, event by event, so that a batch is two statements
 * (crt-registry.projection.ts); the domain folds a dossier with evolve(). These specs hold the two
 * equal: for generated histories, the row is what evolve's state says it should be, and the
 * stage PostgreSQL generates from the row is stageOf of that state, for every state.
 */

/** The CRT row a dossier in this state should have: evolve's state, as the registry's columns. */
function columnsOf(state: RegisteredDossier): Record<string, unknown> {
  // The registration municipality's names, as on the day it was set (registration or reopening).
  const place = defaultMunicipalityDirectory.resolve(state.municipality, state.stayStartedOn);
  return {
    given_name: state.person.givenName,
    family_name: state.person.familyName,
    birth_date: state.person.birthDate === ERASED ? null : state.person.birthDate,
    national_register_number: state.person.nationalRegisterNumber,
    sex: state.person.sex,
    nationality: state.person.nationality,
    municipality: state.municipality,
    municipality_name: place?.name ?? null,
    province_nis: place?.province?.nis ?? null,
    province_name: place?.province?.name ?? null,
    registered_on: state.registeredOn,
    housing_type: state.housing?.type ?? null,
    housing_municipality: state.housing?.municipality ?? null,
    housing_since: state.housing?.since ?? null,
    inburgering_trajectory: state.inburgering?.trajectory ?? null,
    inburgering_since: state.inburgering?.enrolledOn ?? null,
    vdab_registered_on: state.vdab?.registeredOn ?? null,
    ever_employed: state.everEmployed,
    employed_now: state.employment !== null,
    employment_since: state.employment?.since ?? null,
    left_on: state.left?.on ?? null,
    left_reason: state.left?.reason ?? null,
    residence_status: state.residenceStatus.status,
    residence_status_since: state.residenceStatus.since,
    archived_on: state.archived?.on ?? null,
    personal_data_erased_on: state.personalDataErased?.on ?? null,
  };
}

const registeredState = (state: DossierState): RegisteredDossier => {
  if (state.status === 'unregistered') throw new Error('a history starts with its registration');
  return state;
};

/** Codes valid throughout, one in Brussels (no province), and Borsbeek, which merged into Antwerpen on 2025-01-01. */
const MUNICIPALITIES = ['11002', '44021', '24062', '21004', '11007'];

/** Commands at days after the registration (some earlier than the one before: facts recorded late). */
const historyArbitrary = fc.record({
  municipality: fc.constantFrom(...MUNICIPALITIES),
  registeredOn: fc.integer({ min: 0, max: 900 }).map((day) => addDays('2022-03-01', day)),
  steps: fc.array(
    fc.tuple(
      fc.integer({ min: -20, max: 90 }),
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ type: fc.constant('HousePerson' as const), housingType: fc.constantFrom(...HOUSING_TYPES), municipality: fc.constantFrom(...MUNICIPALITIES) }) },
        {
          weight: 2,
          arbitrary: fc.record({
            type: fc.constant('RehousePerson' as const),
            housingType: fc.constantFrom(...HOUSING_TYPES),
            municipality: fc.constantFrom(...MUNICIPALITIES),
            reason: fc.constantFrom(...REHOUSING_REASONS),
          }),
        },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('EnrolInInburgering' as const), trajectory: fc.constantFrom(...INBURGERING_TRAJECTORIES) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('RegisterAtVdab' as const) }) },
        { weight: 3, arbitrary: fc.record({ type: fc.constant('StartEmployment' as const) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('EndEmployment' as const) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('RecordDeparture' as const), reason: fc.constantFrom(...DEPARTURE_REASONS) }) },
        {
          weight: 2,
          arbitrary: fc.record({
            type: fc.constant('ReopenDossier' as const),
            municipality: fc.constantFrom(null, ...MUNICIPALITIES),
            residenceStatus: fc.constantFrom(null, null, ...RESIDENCE_STATUSES),
          }),
        },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('ChangeResidenceStatus' as const), status: fc.constantFrom(...OTHER_RESIDENCE_STATUSES) }) },
        { weight: 1, arbitrary: fc.constant({ type: 'ArchiveDossier' as const, closedBefore: null, reason: 'decommissioned', retainUntil: '2031-01-01' }) },
        { weight: 1, arbitrary: fc.constant({ type: 'ErasePersonalData' as const, reason: 'GDPR art. 17' }) },
      ),
    ),
    { maxLength: 16 },
  ),
  // Where the log cuts the history into the projection's batches.
  batchSize: fc.integer({ min: 1, max: 6 }),
});

type GeneratedHistory = typeof historyArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The events of a generated history, each command decided on the rules; a command they refuse records nothing. */
function historyOf(dossierId: string, history: GeneratedHistory): { events: DossierEvent[]; state: RegisteredDossier } {
  let { events, state } = decideInTurn([{ ...registeredCommand(dossierId, history.municipality, history.registeredOn) }], testContext);
  let day = history.registeredOn;
  for (const [gap, step] of history.steps) {
    day = addDays(day, gap);
    const command = (step.type === 'ArchiveDossier' ? { ...step, on: day, runId: randomUUID() } : { ...step, on: day }) as DossierCommand;
    const decided = decideInTurn([command], testContext, state);
    events = [...events, ...decided.events];
    state = decided.state;
  }
  return { events, state: registeredState(state) };
}

const registeredCommand = (dossierId: string, municipality: string, registeredOn: string): DossierCommand => {
  const { data } = registered(dossierId, municipality, registeredOn) as Extract<DossierEvent, { type: 'DossierRegistered' }>;
  return {
    type: 'RegisterDossier',
    dossierId,
    person: { ...data.personal, sex: data.sex, nationality: data.nationality },
    protection: { attestationNumber: data.personal.attestationNumber, grantedOn: data.protectionGrantedOn },
    municipality,
    registeredOn,
  };
};

describe('the CRT registry and the domain fold a dossier alike', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  const projection = crtRegistryProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)));

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
  });
  afterAll(() => database?.close());

  /** The row as JSON (dates as written), without what no state holds: the key, the version and when it was recorded. */
  async function rowOf(dossierId: string): Promise<Record<string, unknown>> {
    const [{ row }] = await database.dataSource.query(`SELECT to_jsonb(t) AS row FROM read_models.${CRT_DOSSIERS_TABLE} t WHERE dossier_id = $1`, [dossierId]);
    const { dossier_id: _id, version: _version, last_recorded_at: _recordedAt, search_text: _search, ...columns } = row as Record<string, unknown>;
    return columns;
  }

  it('for generated histories, the row holds the columns of the state evolve() folds the events to, its stage stageOf', async () => {
    const types = new Set<string>();
    await fc.assert(
      fc.asyncProperty(historyArbitrary, async (history) => {
        const dossierId = randomUUID();
        const { events, state } = historyOf(dossierId, history);
        events.forEach((event) => types.add(event.type));
        const recorded = events.map((event, index) => recordedDossierEvent(dossierId, index + 1, event));
        for (let start = 0; start < recorded.length; start += history.batchSize) {
          await projection.apply(recorded.slice(start, start + history.batchSize), database.context);
        }
        expect(await rowOf(dossierId)).toEqual({ ...columnsOf(state), active: state.status === 'active', stage: stageOf(state) });
      }),
      { numRuns: 150 },
    );
    expect(database.noted).toEqual([]);
    // The histories went everywhere a dossier can go.
    expect([...types].sort()).toEqual([...DOSSIER_EVENT_TYPES].sort());
  });

  it('PostgreSQL generates the stage stageOf gives, for every combination of housing, inburgering, VDAB, a job and a departure', async () => {
    const dossierId = randomUUID();
    const reached: Array<[DossierEvent['type'], DossierEvent]> = [
      ['PersonHoused', { type: 'PersonHoused', data: { housingType: 'loi', municipality: '11002', on: '2022-04-01' } }],
      ['InburgeringEnrolled', { type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2022-05-01' } }],
      ['VdabRegistered', { type: 'VdabRegistered', data: { on: '2022-06-01' } }],
      ['EmploymentStarted', { type: 'EmploymentStarted', data: { on: '2022-07-01' } }],
    ];
    const endings: DossierEvent[][] = [
      [],
      [{ type: 'PersonLeft', data: { on: '2022-08-01', reason: 'moved-abroad' } }],
      [
        { type: 'PersonLeft', data: { on: '2022-08-01', reason: 'moved-abroad' } },
        { type: 'DossierReopened', data: { on: '2022-09-01', municipality: '44021' } },
      ],
    ];
    const seen = new Set<string>();
    for (let mask = 0; mask < 2 ** reached.length; mask++) {
      for (const ending of endings) {
        const events = [registered(dossierId, '11002', '2022-03-24'), ...reached.filter((_, i) => mask & (2 ** i)).map(([, e]) => e), ...ending];
        const state = registeredState(events.reduce(evolve, initialState));
        const row = { dossier_id: dossierId, version: events.length, last_recorded_at: '2024-01-01T00:00:00Z', ...columnsOf(state) };
        await database.dataSource.query(`DELETE FROM read_models.${CRT_DOSSIERS_TABLE} WHERE dossier_id = $1`, [dossierId]);
        await writeVersionedRows(database.context, CRT_DOSSIERS_TABLE, [{ event: recordedDossierEvent(dossierId, 1, events[0]), row, creates: true }]);
        const [generated] = await database.dataSource.query(`SELECT stage, active FROM read_models.${CRT_DOSSIERS_TABLE} WHERE dossier_id = $1`, [dossierId]);
        expect({ events: events.map((e) => e.type), ...generated }).toEqual({ events: events.map((e) => e.type), stage: stageOf(state), active: state.status === 'active' });
        seen.add(generated.stage);
      }
    }
    expect([...seen].sort()).toEqual(['employed', 'housed', 'inburgering', 'left', 'registered', 'vdab']);
  });
});
