import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { RESIDENCE_STATUSES, type DossierState, type RegisteredDossier } from '@app/domain';
import type { LoadedDossier, StoredDossierEvent } from '@app/dossiers';

/** The dossier as the API shows it: the state folded from its stream (callers check it exists). */
export function dossierView({ dossierId, version, state: folded }: LoadedDossier) {
  const state = folded as Exclude<DossierState, { status: 'unregistered' }> & RegisteredDossier;
  return {
    dossierId,
    version,
    active: state.status === 'active',
    status: state.status,
    person: {
      givenName: state.person.givenName,
      familyName: state.person.familyName,
      birthDate: state.person.birthDate,
      sex: state.person.sex,
      nationality: state.person.nationality,
      nationalRegisterNumber: state.person.nationalRegisterNumber,
    },
    protection: state.protection,
    municipality: state.municipality,
    householdId: state.householdId,
    registeredOn: state.registeredOn,
    housing: state.housing && { type: state.housing.type, municipality: state.housing.municipality, since: state.housing.since },
    inburgering: state.inburgering && { trajectory: state.inburgering.trajectory, enrolledOn: state.inburgering.enrolledOn },
    vdab: state.vdab && { registeredOn: state.vdab.registeredOn },
    employment: state.employment && { since: state.employment.since },
    everEmployed: state.everEmployed,
    left: state.left && { on: state.left.on, reason: state.left.reason },
    residenceStatus: { status: state.residenceStatus.status, since: state.residenceStatus.since },
    archived: state.archived && { ...state.archived },
    personalDataErased: state.personalDataErased && { ...state.personalDataErased },
  };
}

export function historyEntry({ eventId, version, event, metadata }: StoredDossierEvent) {
  return {
    version,
    type: event.type,
    schemaVersion: metadata.schemaVersion,
    occurredOn: metadata.occurredOn,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    eventId,
    hash: metadata.hash,
    data: event.data,
  };
}

// OpenAPI descriptions of the shapes above.

class PersonView {
  @ApiProperty() givenName: string;
  @ApiProperty() familyName: string;
  @ApiProperty({ format: 'date' }) birthDate: string;
  @ApiProperty({ nullable: true, type: String }) sex: string | null;
  @ApiProperty() nationality: string;
  @ApiProperty({ nullable: true, type: String }) nationalRegisterNumber: string | null;
}

class HousingView {
  @ApiProperty() type: string;
  @ApiProperty() municipality: string;
  @ApiProperty({ format: 'date' }) since: string;
}

class ResidenceStatusView {
  @ApiProperty({ enum: RESIDENCE_STATUSES, example: 'temporary-protection' }) status: string;
  @ApiProperty({ format: 'date', description: 'The grant of protection, the latest reopening, or the change to this status' }) since: string;
}

export class DossierView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty() version: number;
  @ApiProperty() active: boolean;
  @ApiProperty({ enum: ['active', 'left'] }) status: string;
  @ApiProperty({ type: PersonView }) person: PersonView;
  @ApiProperty({ example: { attestationNumber: 'TB-2022-0012345', grantedOn: '2022-03-21' } })
  protection: { attestationNumber: string | null; grantedOn: string };
  @ApiProperty({ example: '11002' }) municipality: string;
  @ApiProperty({ nullable: true, type: String }) householdId: string | null;
  @ApiProperty({ format: 'date' }) registeredOn: string;
  @ApiPropertyOptional({ type: HousingView, nullable: true }) housing: HousingView | null;
  @ApiPropertyOptional({ nullable: true, example: { trajectory: 'inburgeringstraject', enrolledOn: '2024-02-01' } })
  inburgering: { trajectory: string; enrolledOn: string } | null;
  @ApiPropertyOptional({ nullable: true, example: { registeredOn: '2024-03-01' } }) vdab: { registeredOn: string } | null;
  @ApiPropertyOptional({ nullable: true, example: { since: '2024-05-01' } }) employment: { since: string } | null;
  @ApiProperty() everEmployed: boolean;
  @ApiPropertyOptional({ nullable: true, example: { on: '2025-01-10', reason: 'returned-to-ukraine' } })
  left: { on: string; reason: string } | null;
  @ApiProperty({ type: ResidenceStatusView, description: 'The current residence status and since when (the one the person left with, once left)' })
  residenceStatus: ResidenceStatusView;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Set once archived: the dossier is read-only',
    example: { on: '2026-11-24', runId: '0b6f…', closedBefore: '2025-01-01', reason: null, retainUntil: '2031-11-24' },
  })
  archived: { on: string; runId: string; closedBefore: string | null; reason: string | null; retainUntil: string } | null;
  @ApiPropertyOptional({ nullable: true, example: null, description: '{ on, reason } once the personal data was erased' })
  personalDataErased: { on: string; reason: string } | null;
}

class HistoryEntryView {
  @ApiProperty() version: number;
  @ApiProperty({ example: 'PersonHoused' }) type: string;
  @ApiProperty() schemaVersion: number;
  @ApiProperty({ format: 'date', description: 'Business date: when it happened' }) occurredOn: string;
  @ApiProperty({ format: 'date-time', description: 'When it was recorded' }) recordedAt: string;
  @ApiProperty({ description: "The recording user's token subject" }) actor: string;
  @ApiProperty() correlationId: string;
  @ApiProperty() causationId: string;
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty({ description: 'SHA-256 link of the hash chain (docs/tamper-evidence.md)' }) hash: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class HistoryView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ type: [HistoryEntryView] }) events: HistoryEntryView[];
}

/** A field's value: whatever the dossier holds there (a leaf, or an object appearing or disappearing); null: absent. */
const ANY_VALUE: ApiPropertyOptions = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object', nullable: true }] };

class FieldChangeView {
  @ApiProperty({ example: 'housing.type', description: 'Dot path of the field in the dossier' }) path: string;
  @ApiProperty({ ...ANY_VALUE, description: 'Its value before', example: 'collective' } as ApiPropertyOptions) from: unknown;
  @ApiProperty({ ...ANY_VALUE, description: 'Its value after', example: 'social-rental' } as ApiPropertyOptions) to: unknown;
}

export class DiffView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ description: 'The earlier version; 0: before registration' }) from: number;
  @ApiProperty() to: number;
  @ApiProperty({ type: [FieldChangeView] }) changes: FieldChangeView[];
  @ApiProperty({ type: [HistoryEntryView], description: 'The events from version from+1 to to' }) events: HistoryEntryView[];
}

export class ChainIntactView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ enum: [true] }) intact: boolean;
  @ApiProperty({ description: 'The last version checked' }) version: number;
  @ApiProperty({ example: '9f2c…', description: 'SHA-256 of the last event, hex' }) lastHash: string;
}

export class ChainBrokenView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ enum: [false] }) intact: boolean;
  @ApiProperty({ description: 'The first version whose hash does not match (or that is missing)' }) firstInvalidVersion: number;
  @ApiProperty() expectedHash: string;
  @ApiProperty({ nullable: true, type: String, description: 'The hash the event carries' }) recordedHash: string | null;
}
