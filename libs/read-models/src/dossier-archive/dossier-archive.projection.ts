import { defaultMunicipalityDirectory, DOSSIER_STREAM_PREFIX, type DossierEvent, type MunicipalityDirectory } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { readDossierEvent } from '../read-dossier-event';
import { readEach, VersionedRowsRebuild, writeVersionedRows, type Columns, type Projection, type VersionedWrite } from '@app/projection-engine';
import { provinceOf } from '../places';

export const DOSSIER_ARCHIVE = 'dossier-archive';
export const DOSSIER_ARCHIVE_TABLE = 'dossier_archive';

/**
 * The archive index (read_models.dossier_archive): for every dossier, what archive runs select
 * on (registration municipality, departure), and once archived, the archive facts and the
 * version the archive copy ends at. It reads no personal block: the archive shows names from
 * the events themselves, so erasure needs nothing from this table but the erasure date.
 */
export function archiveProjection(directory: MunicipalityDirectory = defaultMunicipalityDirectory): Projection {
  function changesOf(event: DossierEvent, version: number): Columns | undefined {
    switch (event.type) {
      case 'DossierRegistered': {
        const { municipality, registeredOn } = event.data;
        return {
          municipality,
          province_nis: provinceOf(municipality, registeredOn, directory),
          registered_on: registeredOn,
          left_on: null,
          left_reason: null,
          archived_on: null,
          archived_version: null,
          run_id: null,
          closed_before: null,
          reason: null,
          retain_until: null,
          personal_data_erased_on: null,
        };
      }
      case 'PersonLeft':
        return { left_on: event.data.on, left_reason: event.data.reason };
      case 'DossierReopened':
        return {
          left_on: null,
          left_reason: null,
          municipality: event.data.municipality,
          province_nis: provinceOf(event.data.municipality, event.data.on, directory),
        };
      case 'DossierArchived':
        return {
          archived_on: event.data.on,
          archived_version: version,
          run_id: event.data.runId,
          closed_before: event.data.closedBefore,
          reason: event.data.reason,
          retain_until: event.data.retainUntil,
        };
      case 'PersonalDataErased':
        return { personal_data_erased_on: event.data.on };
      default:
        return undefined;
    }
  }

  function writeOf(recorded: RecordedEvent): VersionedWrite | undefined {
    const { dossierId, event, recordedAt } = readDossierEvent(recorded);
    const changes = changesOf(event, recorded.version);
    if (!changes) return undefined;
    return {
      event: recorded,
      row: { dossier_id: dossierId, version: recorded.version, last_recorded_at: recordedAt, ...changes },
      creates: event.type === 'DossierRegistered',
    };
  }

  return {
    name: DOSSIER_ARCHIVE,
    tables: [DOSSIER_ARCHIVE_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events, context) {
      await writeVersionedRows(context, DOSSIER_ARCHIVE_TABLE, readEach(events, context, writeOf));
    },
    // The same reading of events as apply's, folded in one pass.
    rebuildWriter: () => new VersionedRowsRebuild(DOSSIER_ARCHIVE_TABLE, async (events, context) => readEach(events, context, writeOf)),
  };
}
