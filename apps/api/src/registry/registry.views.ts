import { ApiProperty } from '@nestjs/swagger';
import { ERASED, HOUSING_TYPES, RESIDENCE_STATUSES, STAGES, type Municipality, type Stage } from '@app/domain';
import { TOTAL_COUNTED_UP_TO, type CrtDossier } from '@app/read-models';

const province = (nis: string | null, name: string | null) => (nis === null ? null : { nis, name });

export function registryItem(row: CrtDossier) {
  return {
    dossierId: row.dossierId,
    version: row.version,
    person: {
      givenName: row.givenName,
      familyName: row.familyName,
      // Also null when the recorded birth date is not one PostgreSQL can store: that is no erasure.
      birthDate: row.birthDate ?? (row.personalDataErasedOn !== null || row.givenName === ERASED ? ERASED : null),
      nationalRegisterNumber: row.nationalRegisterNumber,
    },
    municipality: { nis: row.municipality, name: row.municipalityName },
    province: province(row.provinceNis, row.provinceName),
    registeredOn: row.registeredOn,
    stage: row.stage,
    active: row.active,
    residenceStatus: { status: row.residenceStatus, since: row.residenceStatusSince },
    housing:
      row.housingType === null ? null : { type: row.housingType, municipality: row.housingMunicipality, since: row.housingSince },
    flags: {
      inburgering: row.inburgeringSince !== null,
      vdab: row.vdabRegisteredOn !== null,
      everEmployed: row.everEmployed,
      employedNow: row.employedNow,
      left: row.leftOn !== null,
    },
    dates: {
      inburgeringSince: row.inburgeringSince,
      vdabRegisteredOn: row.vdabRegisteredOn,
      employmentSince: row.employmentSince,
      leftOn: row.leftOn,
    },
    leftReason: row.leftReason,
    archivedOn: row.archivedOn,
    personalDataErasedOn: row.personalDataErasedOn,
    lastRecordedAt: row.lastRecordedAt.toISOString(),
  };
}

export function municipalitySummary(municipality: Municipality, counts: Record<Stage, number>) {
  const total = STAGES.reduce((sum, stage) => sum + counts[stage], 0);
  return {
    nis: municipality.nis,
    name: municipality.name,
    province: municipality.province,
    total,
    active: total - counts.left,
    byStage: counts,
  };
}

// OpenAPI descriptions of the shapes above.

class RegistryPersonView {
  @ApiProperty({ example: 'Olena' }) givenName: string;
  @ApiProperty({ example: 'Kovalenko' }) familyName: string;
  @ApiProperty({
    format: 'date',
    nullable: true,
    type: String,
    description: 'YYYY-MM-DD, or "[erased]"; null when the recorded date is not one PostgreSQL can store (docs/projections.md)',
  })
  birthDate: string | null;
  @ApiProperty({ nullable: true, type: String, example: '85073003328' }) nationalRegisterNumber: string | null;
}

class NamedPlaceView {
  @ApiProperty({ example: '11002' }) nis: string;
  @ApiProperty({ example: 'Antwerpen', nullable: true, type: String }) name: string | null;
}

class RegistryHousingView {
  @ApiProperty({ enum: HOUSING_TYPES }) type: string;
  @ApiProperty({ example: '11002', description: 'NIS code of the housing, which may differ from the registration' })
  municipality: string;
  @ApiProperty({ format: 'date' }) since: string;
}

class RegistryFlagsView {
  @ApiProperty() inburgering: boolean;
  @ApiProperty() vdab: boolean;
  @ApiProperty() everEmployed: boolean;
  @ApiProperty() employedNow: boolean;
  @ApiProperty() left: boolean;
}

class RegistryDatesView {
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Latest inburgering enrolment' })
  inburgeringSince: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) vdabRegisteredOn: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Start of the current job' })
  employmentSince: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) leftOn: string | null;
}

class RegistryResidenceStatusView {
  @ApiProperty({ enum: RESIDENCE_STATUSES, example: 'temporary-protection' }) status: string;
  @ApiProperty({
    format: 'date',
    nullable: true,
    type: String,
    description: 'Since when: the grant of protection, the latest reopening, or the change; null for a dossier applied before the registry kept statuses, until the projection is rebuilt',
  })
  since: string | null;
}

export class RegistryItemView {
  @ApiProperty({ format: 'uuid' }) dossierId: string;
  @ApiProperty({ description: 'Version of the dossier the row reflects' }) version: number;
  @ApiProperty({ type: RegistryPersonView }) person: RegistryPersonView;
  @ApiProperty({ type: NamedPlaceView, description: 'Where the person is registered' }) municipality: NamedPlaceView;
  @ApiProperty({ type: NamedPlaceView, nullable: true, description: 'Null in Brussels' }) province: NamedPlaceView | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Null only when the recorded date is not one PostgreSQL can store (docs/projections.md, safe forms)' })
  registeredOn: string | null;
  @ApiProperty({ enum: STAGES }) stage: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: RegistryResidenceStatusView, description: 'The current residence status (the one the person left with, once left)' })
  residenceStatus: RegistryResidenceStatusView;
  @ApiProperty({ type: RegistryHousingView, nullable: true }) housing: RegistryHousingView | null;
  @ApiProperty({ type: RegistryFlagsView }) flags: RegistryFlagsView;
  @ApiProperty({ type: RegistryDatesView }) dates: RegistryDatesView;
  @ApiProperty({ nullable: true, type: String, example: 'returned-to-ukraine' }) leftReason: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Archived on this date: read-only' })
  archivedOn: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Personal data erased on this date' })
  personalDataErasedOn: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the last change was recorded' }) lastRecordedAt: string;
}

export class RegistryPageView {
  @ApiProperty({ type: [RegistryItemView] }) items: RegistryItemView[];
  @ApiProperty({
    description: `Dossiers matching the filters, on every page, counted up to ${TOTAL_COUNTED_UP_TO.toLocaleString('en')}: when more match, that number (see totalExact)`,
    maximum: TOTAL_COUNTED_UP_TO,
  })
  total: number;
  @ApiProperty({ description: `Whether total is the number of dossiers matching; false when more than ${TOTAL_COUNTED_UP_TO.toLocaleString('en')} match (total is then a lower bound)` })
  totalExact: boolean;
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
}

class StageCountsView {
  @ApiProperty() registered: number;
  @ApiProperty() housed: number;
  @ApiProperty() inburgering: number;
  @ApiProperty() vdab: number;
  @ApiProperty() employed: number;
  @ApiProperty() left: number;
}

export class MunicipalitySummaryView {
  @ApiProperty({ example: '11002' }) nis: string;
  @ApiProperty({ example: 'Antwerpen' }) name: string;
  @ApiProperty({ type: NamedPlaceView, nullable: true, description: 'Null in Brussels' }) province: NamedPlaceView | null;
  @ApiProperty({ description: 'Dossiers registered in this municipality now, left ones included' }) total: number;
  @ApiProperty() active: number;
  @ApiProperty({ type: StageCountsView }) byStage: StageCountsView;
}
