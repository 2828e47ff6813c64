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
/**
 * Events a page of the registry's rebuild holds at most (Projection.rebuildPageEvents). A page's
 * decoded events live from its read to the end of its fold, and the rebuild allocates about 4.5
 * KiB an event meanwhile (the rows parsed, the personal blocks opened, the writes): pages of 5,000,
 * some 22 MiB, outlived two scavenges of V8's young generation (one every 12 to 16 MiB), so nearly
 * every event was copied twice and promoted, and each scavenge copied the page in flight. With
 * pages of 2,000 half the bytes were promoted and the rebuild took 15% less of the service's CPU
 * (bench/README.md, "The CRT registry's rebuild in pages of 2,000 events (twenty-first session)");
 * the flow statistics' and the archive's rebuilds showed no gain, and the catch-up from empty cost
 * more with them.
 */
export const CRT_REBUILD_PAGE_EVENTS = 2000;

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
  function municipalityColumns(nis: string, on: IsoDate): Columns {
    const municipality = directory.resolve(nis, on);
    return {
      municipality: nis,
      municipality_name: municipality?.name ?? null,
      province_nis: municipality?.province?.nis ?? null,
      province_name: municipality?.province?.name ?? null,
    };
  }

  /** The columns an event sets; a registration sets them all, as it starts the state afresh. */
  function changesOf(event: DossierEvent): Columns {
    switch (event.type) {
      case 'DossierRegistered': {
        const { personal, ...data } = event.data;
        return {
          given_name: personal.givenName,
          family_name: personal.familyName,
          // A rebuild after erasure reads the registration's personal block as ERASED.
          birth_date: personal.birthDate === ERASED ? null : personal.birthDate,
          national_register_number: personal.nationalRegisterNumber,
          sex: data.sex,
          nationality: data.nationality,
          ...municipalityColumns(data.municipality, data.registeredOn),
          registered_on: data.registeredOn,
          ...NO_HOUSING,
          inburgering_trajectory: null,
          inburgering_since: null,
          vdab_registered_on: null,
          ever_employed: false,
          ...NO_CURRENT_JOB,
          left_on: null,
          left_reason: null,
          residence_status: TEMPORARY_PROTECTION,
          residence_status_since: data.protectionGrantedOn,
          archived_on: null,
          personal_data_erased_on: null,
        };
      }
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
        return {
          left_on: null,
          left_reason: null,
          residence_status: TEMPORARY_PROTECTION,
          residence_status_since: event.data.on,
          ...municipalityColumns(event.data.municipality, event.data.on),
        };
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
    if (event.type === 'DossierRegistered') assertPersonalDataShape(event.data.personal);
    return {
      event: recorded,
      row: { dossier_id: dossierId, version: recorded.version, last_recorded_at: recordedAt, ...changesOf(event) },
      creates: event.type === 'DossierRegistered',
    };
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
    rebuildPageEvents: CRT_REBUILD_PAGE_EVENTS,
    // The dossier keys of a page are read while the page before is folded: the fold does not wait a round trip per page for them.
    rebuildWriter: () => new VersionedRowsRebuild(CRT_DOSSIERS_TABLE, writesOf, (events, context) => personalData.lookAhead(events, context.query)),
  };
}
