/**
 * Domain events of a dossier, stream `dossier-<uuid>`. Event type names are a public contract.
 *
 * Personal data (names, birth date, national register number, attestation number) sits together
 * under `personal` in DossierRegistered, so it can be encrypted per dossier and erased as one.
 * Every other field is not personal and may feed statistics.
 */

export const HOUSING_TYPES = [
  'host-family',
  'collective',
  'emergency-village',
  'loi',
  'social-rental',
  'private-rental',
  'other',
] as const;
export type HousingType = (typeof HOUSING_TYPES)[number];

export const REHOUSING_REASONS = [
  'host-placement-ended',
  'site-closed',
  'emergency-village-closed',
  'moved-municipality',
  'other',
] as const;
export type RehousingReason = (typeof REHOUSING_REASONS)[number];

export const INBURGERING_TRAJECTORIES = ['voortraject', 'inburgeringstraject'] as const;
export type InburgeringTrajectory = (typeof INBURGERING_TRAJECTORIES)[number];

export const DEPARTURE_REASONS = [
  'returned-to-ukraine',
  'moved-abroad',
  'moved-within-belgium',
  'other-residence-status',
  'deceased',
  'unknown',
] as const;
export type DepartureReason = (typeof DEPARTURE_REASONS)[number];

/**
 * Residence statuses a person may move to from temporary protection and stay (the EU's
 * coordinated transition out of it): work (the single permit), studies, family reunification,
 * an application for or the grant of international protection, another national status.
 */
export const OTHER_RESIDENCE_STATUSES = [
  'single-permit',
  'student',
  'family-reunification',
  'international-protection-applied',
  'international-protection-granted',
  'other-national-status',
] as const;
export type OtherResidenceStatus = (typeof OTHER_RESIDENCE_STATUSES)[number];

/** Every dossier starts under temporary protection; a reopening returns to it unless it says otherwise. */
export const TEMPORARY_PROTECTION = 'temporary-protection';
export const RESIDENCE_STATUSES = [TEMPORARY_PROTECTION, ...OTHER_RESIDENCE_STATUSES] as const;
export type ResidenceStatus = (typeof RESIDENCE_STATUSES)[number];

export const SEXES = ['female', 'male', 'x'] as const;
export type Sex = (typeof SEXES)[number];

/** ISO calendar date, YYYY-MM-DD. */
export type IsoDate = string;

export interface PersonalData {
  givenName: string;
  familyName: string;
  birthDate: IsoDate;
  /** 11 digits, no separators. */
  nationalRegisterNumber: string | null;
  attestationNumber: string | null;
}

export interface DossierRegistered {
  type: 'DossierRegistered';
  data: {
    dossierId: string;
    personal: PersonalData;
    sex: Sex | null;
    /** ISO 3166-1 alpha-3, e.g. UKR. */
    nationality: string;
    protectionGrantedOn: IsoDate;
    /** NIS code valid on registeredOn. */
    municipality: string;
    householdId: string | null;
    registeredOn: IsoDate;
  };
}

export interface PersonHoused {
  type: 'PersonHoused';
  data: { housingType: HousingType; municipality: string; on: IsoDate };
}

export interface PersonRehoused {
  type: 'PersonRehoused';
  data: {
    housingType: HousingType;
    municipality: string;
    on: IsoDate;
    reason: RehousingReason;
    /** The housing this one replaces, so a reader needs no earlier event to know the move. */
    previousHousingType: HousingType;
    previousMunicipality: string;
  };
}

export interface InburgeringEnrolled {
  type: 'InburgeringEnrolled';
  data: { trajectory: InburgeringTrajectory; on: IsoDate };
}

export interface VdabRegistered {
  type: 'VdabRegistered';
  data: { on: IsoDate };
}

export interface EmploymentStarted {
  type: 'EmploymentStarted';
  data: { on: IsoDate };
}

export interface EmploymentEnded {
  type: 'EmploymentEnded';
  data: { on: IsoDate; startedOn: IsoDate };
}

export interface PersonLeft {
  type: 'PersonLeft';
  data: { on: IsoDate; reason: DepartureReason };
}

/** The person came back: under temporary protection again, unless a ResidenceStatusChanged of the same command follows. */
export interface DossierReopened {
  type: 'DossierReopened';
  data: { on: IsoDate; municipality: string };
}

/**
 * The person moved from temporary protection (or from another status) to another residence
 * status and stays: the dossier remains active, its other facts go on being recorded.
 */
export interface ResidenceStatusChanged {
  type: 'ResidenceStatusChanged';
  data: {
    on: IsoDate;
    status: OtherResidenceStatus;
    /** The status this one replaces, so a reader needs no earlier event to know the move. */
    previousStatus: ResidenceStatus;
  };
}

/**
 * The dossier went into the archive: read-only from now on, kept until retainUntil, after which
 * its personal data is erased. Administrative: it changes no situation and no statistic.
 */
export interface DossierArchived {
  type: 'DossierArchived';
  data: {
    /** The archiving date. */
    on: IsoDate;
    /** The archive run that archived it. */
    runId: string;
    /** The run's criterion: dossiers whose person left before this date; null when the run took every dossier. */
    closedBefore: IsoDate | null;
    reason: string | null;
    /** on + ARCHIVE_RETENTION at archiving time. */
    retainUntil: IsoDate;
  };
}

/**
 * The dossier's personal data key was destroyed: the personal block of its registration can no
 * longer be read and shows as ERASED. Administrative, like DossierArchived.
 */
export interface PersonalDataErased {
  type: 'PersonalDataErased';
  data: { on: IsoDate; reason: string };
}

/** What erased personal fields show as, everywhere. */
export const ERASED = '[erased]';

export type DossierEvent =
  | DossierRegistered
  | PersonHoused
  | PersonRehoused
  | InburgeringEnrolled
  | VdabRegistered
  | EmploymentStarted
  | EmploymentEnded
  | PersonLeft
  | DossierReopened
  | ResidenceStatusChanged
  | DossierArchived
  | PersonalDataErased;

export type DossierEventType = DossierEvent['type'];

export const DOSSIER_EVENT_TYPES: readonly DossierEventType[] = [
  'DossierRegistered',
  'PersonHoused',
  'PersonRehoused',
  'InburgeringEnrolled',
  'VdabRegistered',
  'EmploymentStarted',
  'EmploymentEnded',
  'PersonLeft',
  'DossierReopened',
  'ResidenceStatusChanged',
  'DossierArchived',
  'PersonalDataErased',
];

/** Events that record what was done with the dossier, not what happened to the person. */
export const ADMINISTRATIVE_EVENT_TYPES: readonly DossierEventType[] = ['DossierArchived', 'PersonalDataErased'];
export const isAdministrative = (event: DossierEvent): boolean => ADMINISTRATIVE_EVENT_TYPES.includes(event.type);

/** Current schema version of each event type; bump it with an upcaster in `upcasting.ts`. */
export const SCHEMA_VERSIONS: Readonly<Record<DossierEventType, number>> = {
  DossierRegistered: 1,
  PersonHoused: 1,
  PersonRehoused: 1,
  InburgeringEnrolled: 1,
  VdabRegistered: 1,
  EmploymentStarted: 1,
  EmploymentEnded: 1,
  PersonLeft: 1,
  DossierReopened: 1,
  ResidenceStatusChanged: 1,
  DossierArchived: 1,
  PersonalDataErased: 1,
};

/** The business date every event carries, from its own data. */
export function occurredOn(event: DossierEvent): IsoDate {
  return event.type === 'DossierRegistered' ? event.data.registeredOn : event.data.on;
}

/** Where an event stands in its dossier's business time: its business date, and its version within a date. */
export interface BusinessTime {
  readonly occurredOn: IsoDate;
  readonly version: number;
}

/**
 * Business order: by business date, the events of one date in the order they were recorded.
 * The order a dossier's situation on a date is folded in, late entries in their place: by the
 * flow statistics, and by an auditor's travel to a business date (validOn).
 */
export function businessOrder(a: BusinessTime, b: BusinessTime): number {
  return a.occurredOn < b.occurredOn ? -1 : a.occurredOn > b.occurredOn ? 1 : a.version - b.version;
}

export const DOSSIER_STREAM_PREFIX = 'dossier-';
export const dossierStreamId = (dossierId: string): string => `${DOSSIER_STREAM_PREFIX}${dossierId}`;
