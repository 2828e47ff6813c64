import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  DOSSIER_EVENT_TYPES,
  defaultMunicipalityDirectory,
  ERASED,
  evolve,
  initialState,
  stageOf,
  type DossierEvent,
  type RegisteredDossier,
} from '@app/domain';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { writeVersionedRows } from '@app/projection-engine';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { historyArbitrary, historyOf, registeredState } from '../testing/generated-histories';
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
