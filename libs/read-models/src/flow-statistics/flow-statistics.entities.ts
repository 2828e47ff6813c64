import { Column, Entity, PrimaryColumn } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';

/**
 * Read-side views of the flow-statistics tables (written with SQL by the projection; created by
 * a migration, never by synchronize). Nothing personal: dossier ids, dates, codes and flags.
 */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'stat_events' })
export class StatEventRow {
  @PrimaryColumn({ type: 'uuid', name: 'dossier_id' }) dossierId: string;
  @PrimaryColumn({ type: 'integer' }) version: number;
  @Column({ type: 'text' }) type: string;
  /** Business date (the event's own date), YYYY-MM-DD. */
  @Column({ type: 'date', name: 'occurred_on' }) occurredOn: string;
  @Column({ type: 'text', name: 'event_municipality', nullable: true }) eventMunicipality: string | null;
  @Column({ type: 'text', name: 'housing_type', nullable: true }) housingType: string | null;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'text', nullable: true }) trajectory: string | null;
  /** The status a ResidenceStatusChanged moves to, and the one it replaces. */
  @Column({ type: 'text', name: 'residence_status', nullable: true }) residenceStatus: string | null;
  @Column({ type: 'text', name: 'previous_residence_status', nullable: true }) previousResidenceStatus: string | null;
  /** Where the event counts: the dossier's registration municipality after it, in business order. */
  @Column({ type: 'text', nullable: true }) municipality: string | null;
  @Column({ type: 'text', name: 'province_nis', nullable: true }) provinceNis: string | null;
  /** Where the event counts by housing: the housing after it (a departure: the one it ends); null: not housed. */
  @Column({ type: 'text', name: 'housing_municipality', nullable: true }) housingMunicipality: string | null;
  @Column({ type: 'text', name: 'housing_province_nis', nullable: true }) housingProvinceNis: string | null;
  /** When the event store recorded the event (RecordedEvent.createdAt). */
  @Column({ type: 'timestamptz', name: 'recorded_at' }) recordedAt: Date;
  /** The row holds on the recording axis from recordedFrom (inclusive) to recordedTo (exclusive; null: still). */
  @PrimaryColumn({ type: 'timestamptz', name: 'recorded_from' }) recordedFrom: Date;
  @Column({ type: 'timestamptz', name: 'recorded_to', nullable: true }) recordedTo: Date | null;
}

@Entity({ schema: READ_MODEL_SCHEMA, name: 'stat_dossier_periods' })
export class StatDossierPeriodRow {
  @PrimaryColumn({ type: 'uuid', name: 'dossier_id' }) dossierId: string;
  @PrimaryColumn({ type: 'date', name: 'valid_from' }) validFrom: string;
  /** Exclusive; null while the situation lasts. */
  @Column({ type: 'date', name: 'valid_to', nullable: true }) validTo: string | null;
  @Column({ type: 'boolean' }) active: boolean;
  @Column({ type: 'text' }) stage: string;
  @Column({ type: 'text', name: 'housing_type', nullable: true }) housingType: string | null;
  @Column({ type: 'text' }) municipality: string;
  @Column({ type: 'text', name: 'province_nis', nullable: true }) provinceNis: string | null;
  @Column({ type: 'boolean', name: 'employed_now' }) employedNow: boolean;
  @Column({ type: 'boolean', name: 'ever_employed' }) everEmployed: boolean;
  @Column({ type: 'boolean' }) vdab: boolean;
  @Column({ type: 'boolean' }) inburgering: boolean;
  /** temporary-protection, or the status the person moved to (kept once left). */
  @Column({ type: 'text', name: 'residence_status' }) residenceStatus: string;
  /** Where the person is housed on those days (null: not housed), and its province on the day they were housed there. */
  @Column({ type: 'text', name: 'housing_municipality', nullable: true }) housingMunicipality: string | null;
  @Column({ type: 'text', name: 'housing_province_nis', nullable: true }) housingProvinceNis: string | null;
  /** The row holds on the recording axis from recordedFrom (inclusive) to recordedTo (exclusive; null: still). */
  @PrimaryColumn({ type: 'timestamptz', name: 'recorded_from' }) recordedFrom: Date;
  @Column({ type: 'timestamptz', name: 'recorded_to', nullable: true }) recordedTo: Date | null;
}

/**
 * What the breakdowns by sex and age band need of a person: runs of days in one age band, from
 * the registration on, with the sex; never the birth date. NULL is unknown.
 */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'stat_person_attributes' })
export class StatPersonAttributesRow {
  @PrimaryColumn({ type: 'uuid', name: 'dossier_id' }) dossierId: string;
  @PrimaryColumn({ type: 'date', name: 'valid_from' }) validFrom: string;
  /** Exclusive; null for good. */
  @Column({ type: 'date', name: 'valid_to', nullable: true }) validTo: string | null;
  @Column({ type: 'text', nullable: true }) sex: string | null;
  /** 0-17, 18-24, 25-44, 45-64, 65+; null when the birth date is erased or could not be read. */
  @Column({ type: 'text', name: 'age_band', nullable: true }) ageBand: string | null;
}

/** One row: the admin's statistics settings. */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'statistics_settings' })
export class StatisticsSettingsRow {
  @PrimaryColumn({ type: 'boolean' }) id: boolean;
  @Column({ type: 'integer', name: 'suppress_below' }) suppressBelow: number;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt: Date;
  @Column({ type: 'text', name: 'updated_by', nullable: true }) updatedBy: string | null;
}
