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

export interface DossierReopened {
  type: 'DossierReopened';
  data: { on: IsoDate; municipality: string };
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
