import { ApiProperty } from '@nestjs/swagger';
import { defaultMunicipalityDirectory, type RegisteredDossier } from '@app/domain';
import type { ArchivedDossierRow } from '@app/read-models';
import type { ArchiveRun } from '@app/persistence';
import { dossierAtVersion, type LoadedDossier } from '@app/dossiers';
import { dossierView, DossierView, historyEntry } from '../dossiers/dossier.views';

const latest = (nis: string) => defaultMunicipalityDirectory.resolve(nis);

export function archiveListItem(row: ArchivedDossierRow) {
  return {
    dossierId: row.dossierId,
    archivedOn: row.archivedOn,
    archivedVersion: row.archivedVersion,
    runId: row.runId,
    closedBefore: row.closedBefore,
    reason: row.reason,
    retainUntil: row.retainUntil,
    personalDataErasedOn: row.personalDataErasedOn,
    registeredOn: row.registeredOn,
    municipality: { nis: row.municipality, name: latest(row.municipality)?.name ?? null },
    province: row.provinceNis === null ? null : { nis: row.provinceNis, name: latest(row.municipality)?.province?.name ?? null },
    leftOn: row.leftOn,
    leftReason: row.leftReason,
  };
}

/**
 * An archived dossier from its events: the archive facts, the dossier as it stood when archived
 * (the stream up to DossierArchived), and its complete history, erasure included. Undefined when
 * the dossier is not archived.
 */
export function archivedDossier(dossier: LoadedDossier) {
  const state = dossier.state as RegisteredDossier;
  const archivedEvent = dossier.events.find((e) => e.event.type === 'DossierArchived');
  if (!state.archived || !archivedEvent) return undefined;
  const { on, runId, closedBefore, reason, retainUntil } = state.archived;
  return {
    dossierId: dossier.dossierId,
    archive: { archivedOn: on, archivedVersion: archivedEvent.version, runId, closedBefore, reason, retainUntil },
    personalDataErased: state.personalDataErased,
    dossier: dossierView(dossierAtVersion(dossier, archivedEvent.version)),
    history: dossier.events.map(historyEntry),
  };
}

export function archiveRunView(run: ArchiveRun, resumed = false) {
  return {
    runId: run.id,
    criteria: run.allDossiers ? { all: true } : { closedBefore: run.closedBefore },
    reason: run.reason,
    retention: run.retention,
    retainUntil: run.retainUntil,
    status: run.status,
    resumed,
    archived: run.archived,
    skipped: Object.values(run.skipped).reduce((sum, count) => sum + count, 0),
    skippedBecause: run.skipped,
    failed: run.failed,
    failures: run.failures,
    requestedBy: run.requestedBy,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

// OpenAPI descriptions of the shapes above.

class PlaceView {
  @ApiProperty({ example: '11002' }) nis: string;
  @ApiProperty({ example: 'Antwerpen', nullable: true, type: String }) name: string | null;
}

export class ArchiveListItemView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ format: 'date' }) archivedOn: string;
  @ApiProperty({ description: 'Version of the DossierArchived event: the archived copy ends there' }) archivedVersion: number;
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Criterion of the run; null for a run of all dossiers' })
  closedBefore: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ format: 'date', description: 'Personal data is erased by POST /archive/purge after this date' }) retainUntil: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) personalDataErasedOn: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Null only when the recorded date is not one PostgreSQL can store (docs/projections.md, safe forms)' })
  registeredOn: string | null;
  @ApiProperty({ type: PlaceView, description: 'Where the person was registered' }) municipality: PlaceView;
  @ApiProperty({ type: PlaceView, nullable: true, description: 'Null in Brussels' }) province: PlaceView | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) leftOn: string | null;
  @ApiProperty({ nullable: true, type: String }) leftReason: string | null;
}

export class ArchivePageView {
  @ApiProperty({ type: [ArchiveListItemView] }) items: ArchiveListItemView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

class ArchiveFactsView {
  @ApiProperty({ format: 'date' }) archivedOn: string;
  @ApiProperty() archivedVersion: number;
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) closedBefore: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ format: 'date' }) retainUntil: string;
}

export class ArchivedDossierView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ type: ArchiveFactsView }) archive: ArchiveFactsView;
  @ApiProperty({ nullable: true, example: null, description: '{ on, reason } once the personal data was erased' })
  personalDataErased: { on: string; reason: string } | null;
  @ApiProperty({ type: DossierView, description: 'The dossier as it stood when archived' }) dossier: DossierView;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Every event, as in GET /dossiers/{id}/history' })
  history: unknown[];
}

export class ArchiveRunView {
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({ example: { closedBefore: '2025-01-01' }, description: '{ closedBefore } or { all: true }' }) criteria: object;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ example: 'P5Y', description: 'ARCHIVE_RETENTION when the run started' }) retention: string;
  @ApiProperty({ format: 'date' }) retainUntil: string;
  @ApiProperty({ enum: ['running', 'completed'] }) status: string;
  @ApiProperty({ description: 'This request took up a run that had stopped half-way' }) resumed: boolean;
  @ApiProperty() archived: number;
  @ApiProperty() skipped: number;
  @ApiProperty({ example: { 'already-archived': 3, 'not-left': 120, 'left-after-cutoff': 8 } }) skippedBecause: Record<string, number>;
  @ApiProperty() failed: number;
  @ApiProperty({ example: [], description: 'The first 100 failures: { dossierId, error }' }) failures: object[];
  @ApiProperty() requestedBy: string;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;
}

export class ArchiveRunPageView {
  @ApiProperty({ type: [ArchiveRunView], description: 'Newest first' }) items: ArchiveRunView[];
  @ApiProperty() total: number;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

class PurgeFailureView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty() error: string;
}

export class PurgeOutcomeView {
  @ApiProperty({ format: 'date', description: 'The day retention is measured against: a retainUntil before it has ended' }) today: string;
  @ApiProperty() erased: number;
  @ApiProperty({ description: 'Erased meanwhile by someone else' }) alreadyErased: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: [PurgeFailureView], description: 'The first 100 failures' }) failures: PurgeFailureView[];
}
