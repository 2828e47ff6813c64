import { Column, Entity, PrimaryColumn } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../engine/projection';

/** Current stage of a dossier: the furthest step its current state has reached. */
export const CRT_STAGES = ['registered', 'housed', 'inburgering', 'vdab', 'employed', 'left'] as const;
export type CrtStage = (typeof CRT_STAGES)[number];

/**
 * A row of the CRT registry, for reading. The crt-registry projection writes it with SQL; the
 * table comes from a migration, never from synchronize. Dates are YYYY-MM-DD strings.
 */
@Entity({ schema: READ_MODEL_SCHEMA, name: 'crt_dossiers' })
export class CrtDossier {
  @PrimaryColumn({ type: 'uuid', name: 'dossier_id' })
  dossierId: string;

  /** Stream version of the last event applied. */
  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'text', name: 'given_name' })
  givenName: string;

  @Column({ type: 'text', name: 'family_name' })
  familyName: string;

  /** Null once the personal data is erased. */
  @Column({ type: 'date', name: 'birth_date', nullable: true })
  birthDate: string | null;

  @Column({ type: 'text', name: 'national_register_number', nullable: true })
  nationalRegisterNumber: string | null;

  @Column({ type: 'text', nullable: true })
  sex: string | null;

  @Column({ type: 'text' })
  nationality: string;

  /** NIS code where the person is registered (set at registration and reopening). */
  @Column({ type: 'text' })
  municipality: string;

  @Column({ type: 'text', name: 'municipality_name', nullable: true })
  municipalityName: string | null;

  /** Null in Brussels. */
  @Column({ type: 'text', name: 'province_nis', nullable: true })
  provinceNis: string | null;

  @Column({ type: 'text', name: 'province_name', nullable: true })
  provinceName: string | null;

  /** Null when the event's date is one PostgreSQL cannot store (a safe form, docs/projections.md). */
  @Column({ type: 'date', name: 'registered_on', nullable: true })
  registeredOn: string | null;

  @Column({ type: 'text', name: 'housing_type', nullable: true })
  housingType: string | null;

  @Column({ type: 'text', name: 'housing_municipality', nullable: true })
  housingMunicipality: string | null;

  @Column({ type: 'date', name: 'housing_since', nullable: true })
  housingSince: string | null;

  @Column({ type: 'text', name: 'inburgering_trajectory', nullable: true })
  inburgeringTrajectory: string | null;

  @Column({ type: 'date', name: 'inburgering_since', nullable: true })
  inburgeringSince: string | null;

  @Column({ type: 'date', name: 'vdab_registered_on', nullable: true })
  vdabRegisteredOn: string | null;

  @Column({ type: 'boolean', name: 'ever_employed' })
  everEmployed: boolean;

  @Column({ type: 'boolean', name: 'employed_now' })
  employedNow: boolean;

  /** Start of the current job; null when not employed now. */
  @Column({ type: 'date', name: 'employment_since', nullable: true })
  employmentSince: string | null;

  @Column({ type: 'date', name: 'left_on', nullable: true })
  leftOn: string | null;

  @Column({ type: 'text', name: 'left_reason', nullable: true })
  leftReason: string | null;

  @Column({ type: 'date', name: 'archived_on', nullable: true })
  archivedOn: string | null;

  @Column({ type: 'date', name: 'personal_data_erased_on', nullable: true })
  personalDataErasedOn: string | null;

  /** When the service recorded the last event applied (its metadata.recordedAt). */
  @Column({ type: 'timestamptz', name: 'last_recorded_at' })
  lastRecordedAt: Date;

  @Column({ type: 'boolean', insert: false, update: false })
  active: boolean;

  @Column({ type: 'text', insert: false, update: false })
  stage: CrtStage;

  /** Lower-cased names and national register number, for q. */
  @Column({ type: 'text', name: 'search_text', insert: false, update: false, select: false })
  searchText: string;
}
