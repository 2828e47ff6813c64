import {
  assertPersonalDataShape,
  defaultMunicipalityDirectory,
  DOSSIER_STREAM_PREFIX,
  ERASED,
  TEMPORARY_PROTECTION,
  type DossierEvent,
  type IsoDate,
  type MunicipalityDirectory,
} from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { readDossierEvent } from '../read-dossier-event';
import {
  readEach,
  unreadable,
  VersionedRowsRebuild,
  writeVersionedRows,
  type Columns,
  type PersonalDataAhead,
  type PersonalDataReader,
  type Projection,
  type ProjectionContext,
  type VersionedWrite,
} from '@app/projection-engine';

export const CRT_REGISTRY = 'crt-registry';
export const CRT_DOSSIERS_TABLE = 'crt_dossiers';
/** Dossiers per municipality and current stage, kept by triggers on the rows (CrtStageCounts1733529600160). */
export const CRT_STAGE_COUNTS_TABLE = 'crt_stage_counts';

/** A row's municipality columns (placedIn). */
interface Placed {
  municipality: string;
  municipality_name: string | null;
  province_nis: string | null;
  province_name: string | null;
}

type RegistrationData = Extract<DossierEvent, { type: 'DossierRegistered' }>['data'];

const NO_HOUSING = { housing_type: null, housing_municipality: null, housing_since: null };
const NO_CURRENT_JOB = { employed_now: false, employment_since: null };

/**
 * The CRT registry: one row per dossier in read_models.crt_dossiers with the dossier's current
 * state as the domain's evolve() folds it (libs/domain/src/dossier/state.ts), plus the names of
 * its municipality and province from the reference data at the event's business date. Each
 * batch is folded onto the rows it touches and written in two statements, each event only where
 * the row's version is below its own, so applying an event twice changes nothing. Registrations are read through `personalData`, which
 * decrypts their personal block with the dossier's key, or reads it ERASED once the key is gone.
 * A registration whose personal block cannot be read (its key lost, the envelope altered) is
 * left out and noted, like any event that cannot be read; values PostgreSQL cannot store are
 * stored in a safe form (engine/safe-form.ts).
 */
export function crtRegistryProjection(
  personalData: PersonalDataReader,
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
): Projection {
  /**
   * Sets a row's municipality and the names of it and its province from the reference data at the
   * date `on`, on a row that has the four columns already (in place: no property added).
   */
  function placedIn<Row extends Placed>(row: Row, nis: string, on: IsoDate): Row {
    const municipality = directory.resolve(nis, on);
    row.municipality = nis;
    row.municipality_name = municipality?.name ?? null;
    row.province_nis = municipality?.province?.nis ?? null;
    row.province_name = municipality?.province?.name ?? null;
    return row;
  }

  /**
   * The row a registration writes: every column, as it starts the state afresh. One object
   * literal without a spread: with one (the columns spread into the row, as until the nineteenth
   * session), V8 added each column after the spread one by one to an object that grew its
   * property store a few at a time, and the rest of the event's data was copied for nothing
   * (bench/README.md, "Rebuilds' allocations").
   */
  function registrationRow(data: RegistrationData, dossier_id: string, version: number, last_recorded_at: unknown): VersionedWrite['row'] {
    const personal = data.personal;
    const row = {
      dossier_id,
      version,
      last_recorded_at,
      given_name: personal.givenName,
      family_name: personal.familyName,
      // A rebuild after erasure reads the registration's personal block as ERASED.
      birth_date: personal.birthDate === ERASED ? null : personal.birthDate,
      national_register_number: personal.nationalRegisterNumber,
      sex: data.sex,
      nationality: data.nationality,
      municipality: data.municipality,
      municipality_name: null as string | null,
      province_nis: null as string | null,
      province_name: null as string | null,
      registered_on: data.registeredOn,
      housing_type: null,
      housing_municipality: null,
      housing_since: null,
      inburgering_trajectory: null,
      inburgering_since: null,
      vdab_registered_on: null,
      ever_employed: false,
      employed_now: false,
      employment_since: null,
      left_on: null,
      left_reason: null,
      residence_status: TEMPORARY_PROTECTION,
      residence_status_since: data.protectionGrantedOn,
      archived_on: null,
      personal_data_erased_on: null,
    };
    return placedIn(row, data.municipality, data.registeredOn);
  }

  /** The columns any other event sets. */
  function changesOf(event: Exclude<DossierEvent, { type: 'DossierRegistered' }>): Columns {
    switch (event.type) {
      case 'PersonHoused':
      case 'PersonRehoused':
        return { housing_type: event.data.housingType, housing_municipality: event.data.municipality, housing_since: event.data.on };
      case 'InburgeringEnrolled':
        return { inburgering_trajectory: event.data.trajectory, inburgering_since: event.data.on };
      case 'VdabRegistered':
        return { vdab_registered_on: event.data.on };
      case 'EmploymentStarted':
        return { employed_now: true, ever_employed: true, employment_since: event.data.on };
      case 'EmploymentEnded':
        return NO_CURRENT_JOB;
      case 'PersonLeft':
        return { left_on: event.data.on, left_reason: event.data.reason, ...NO_HOUSING, ...NO_CURRENT_JOB };
      case 'DossierReopened':
        return placedIn(
          {
            left_on: null,
            left_reason: null,
            residence_status: TEMPORARY_PROTECTION,
            residence_status_since: event.data.on,
            municipality: event.data.municipality,
            municipality_name: null as string | null,
            province_nis: null as string | null,
            province_name: null as string | null,
          },
          event.data.municipality,
          event.data.on,
        );
      case 'ResidenceStatusChanged':
        return { residence_status: event.data.status, residence_status_since: event.data.on };
      case 'DossierArchived':
        return { archived_on: event.data.on };
      case 'PersonalDataErased':
        return {
          given_name: ERASED,
          family_name: ERASED,
          birth_date: null,
          national_register_number: ERASED,
          personal_data_erased_on: event.data.on,
        };
    }
  }

  function writeOf(recorded: RecordedEvent): VersionedWrite {
    const { dossierId, event, recordedAt } = readDossierEvent(recorded);
    if (event.type !== 'DossierRegistered') {
      return { event: recorded, row: { dossier_id: dossierId, version: recorded.version, last_recorded_at: recordedAt, ...changesOf(event) }, creates: false };
    }
    assertPersonalDataShape(event.data.personal);
    return { event: recorded, row: registrationRow(event.data, dossierId, recorded.version, recordedAt), creates: true };
  }

  /** The rows' changes of a batch, the live path's and the one-pass rebuild's alike. */
  async function writesOf(events: readonly RecordedEvent[], context: ProjectionContext, ahead?: PersonalDataAhead): Promise<VersionedWrite[]> {
    const revealed = await personalData.reveal(events, context.query, (event, error) => context.leftOut(event, unreadable(error)), ahead);
    return readEach(revealed, context, writeOf);
  }

  return {
    name: CRT_REGISTRY,
    tables: [CRT_DOSSIERS_TABLE, CRT_STAGE_COUNTS_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events, context) {
      await writeVersionedRows(context, CRT_DOSSIERS_TABLE, await writesOf(events, context));
    },
    // The dossier keys of a page are read while the page before is folded: the fold does not wait a round trip per page for them.
    rebuildWriter: () => new VersionedRowsRebuild(CRT_DOSSIERS_TABLE, writesOf, (events, context) => personalData.lookAhead(events, context.query)),
  };
}
