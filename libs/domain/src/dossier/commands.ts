import type {
  DepartureReason,
  HousingType,
  InburgeringTrajectory,
  IsoDate,
  OtherResidenceStatus,
  RehousingReason,
  ResidenceStatus,
  Sex,
} from './events';

/** Commands as the domain sees them: already shape-validated, dates as YYYY-MM-DD. */

export interface RegisterDossier {
  type: 'RegisterDossier';
  dossierId: string;
  person: {
    givenName: string;
    familyName: string;
    birthDate: IsoDate;
    sex?: Sex | null;
    nationality: string;
    /** 11 digits, separators already removed. */
    nationalRegisterNumber?: string | null;
  };
  protection: { attestationNumber?: string | null; grantedOn: IsoDate };
  municipality: string;
  householdId?: string | null;
  registeredOn: IsoDate;
}

export interface HousePerson {
  type: 'HousePerson';
  housingType: HousingType;
  municipality: string;
  on: IsoDate;
}

export interface RehousePerson {
  type: 'RehousePerson';
  housingType: HousingType;
  municipality: string;
  on: IsoDate;
  reason: RehousingReason;
}

export interface EnrolInInburgering {
  type: 'EnrolInInburgering';
  trajectory: InburgeringTrajectory;
  on: IsoDate;
}

export interface RegisterAtVdab {
  type: 'RegisterAtVdab';
  on: IsoDate;
}

export interface StartEmployment {
  type: 'StartEmployment';
  on: IsoDate;
}

export interface EndEmployment {
  type: 'EndEmployment';
  on: IsoDate;
}

export interface RecordDeparture {
  type: 'RecordDeparture';
  on: IsoDate;
  reason: DepartureReason;
}

export interface ReopenDossier {
  type: 'ReopenDossier';
  on: IsoDate;
  municipality?: string | null;
  /** The status the person comes back with; default temporary protection. */
  residenceStatus?: ResidenceStatus | null;
}

export interface ChangeResidenceStatus {
  type: 'ChangeResidenceStatus';
  on: IsoDate;
  status: OtherResidenceStatus;
}

/** Archiving date, run and retention come from the archive run, not from the client. */
export interface ArchiveDossier {
  type: 'ArchiveDossier';
  on: IsoDate;
  runId: string;
  /** Archive only if the person left before this date; null: archive whatever the state. */
  closedBefore: IsoDate | null;
  reason: string | null;
  retainUntil: IsoDate;
}

export interface ErasePersonalData {
  type: 'ErasePersonalData';
  on: IsoDate;
  reason: string;
}

export type DossierCommand =
  | RegisterDossier
  | HousePerson
  | RehousePerson
  | EnrolInInburgering
  | RegisterAtVdab
  | StartEmployment
  | EndEmployment
  | RecordDeparture
  | ReopenDossier
  | ChangeResidenceStatus
  | ArchiveDossier
  | ErasePersonalData;
