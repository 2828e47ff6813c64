import type {
  DepartureReason,
  DossierEvent,
  HousingType,
  InburgeringTrajectory,
  IsoDate,
  ResidenceStatus,
  Sex,
} from './events';
import { ERASED, occurredOn, TEMPORARY_PROTECTION } from './events';

export interface UnregisteredDossier {
  status: 'unregistered';
}

export interface RegisteredDossier {
  status: 'active' | 'left';
  dossierId: string;
  person: {
    givenName: string;
    familyName: string;
    birthDate: IsoDate;
    sex: Sex | null;
    nationality: string;
    nationalRegisterNumber: string | null;
  };
  protection: { attestationNumber: string | null; grantedOn: IsoDate };
  /** Where the person is registered: set at registration and at reopening, not by housing. */
  municipality: string;
  householdId: string | null;
  registeredOn: IsoDate;
  housing: { type: HousingType; municipality: string; since: IsoDate } | null;
  /** The latest enrolment; trajectories only move forward, so it is all the rules need. */
  inburgering: { trajectory: InburgeringTrajectory; enrolledOn: IsoDate } | null;
  vdab: { registeredOn: IsoDate } | null;
  /** The current job; ended by EmploymentEnded, and dropped when the person leaves. */
  employment: { since: IsoDate } | null;
  everEmployed: boolean;
  lastEmploymentEndedOn: IsoDate | null;
  left: { on: IsoDate; reason: DepartureReason } | null;
  /**
   * Temporary protection from the grant of protection, or from the latest reopening; another
   * status from its ResidenceStatusChanged. A departure keeps the status the person left with.
   */
  residenceStatus: { status: ResidenceStatus; since: IsoDate };
  /** Registration date, or the date of the latest reopening. */
  stayStartedOn: IsoDate;
  /** Latest business date recorded since the stay started; a departure cannot precede it. */
  latestOccurredOn: IsoDate;
  /** Earlier departures followed by a reopening: no fact may be dated inside one. */
  absences: { leftOn: IsoDate; reopenedOn: IsoDate }[];
  /** Set once archived: the dossier is read-only from then on. */
  archived: { on: IsoDate; runId: string; closedBefore: IsoDate | null; reason: string | null; retainUntil: IsoDate } | null;
  personalDataErased: { on: IsoDate; reason: string } | null;
}

export type DossierState = UnregisteredDossier | RegisteredDossier;

export const initialState: DossierState = { status: 'unregistered' };

/**
 * Applies one recorded event. Total and forgiving: recorded history is a fact, so an event that
 * decide would not produce today still folds rather than throws.
 */
export function evolve(state: DossierState, event: DossierEvent): DossierState {
  if (event.type === 'DossierRegistered') {
    const { data } = event;
    return {
      status: 'active',
      dossierId: data.dossierId,
      person: {
        givenName: data.personal.givenName,
        familyName: data.personal.familyName,
        birthDate: data.personal.birthDate,
        sex: data.sex,
        nationality: data.nationality,
        nationalRegisterNumber: data.personal.nationalRegisterNumber,
      },
      protection: { attestationNumber: data.personal.attestationNumber, grantedOn: data.protectionGrantedOn },
      municipality: data.municipality,
      householdId: data.householdId,
      registeredOn: data.registeredOn,
      housing: null,
      inburgering: null,
      vdab: null,
      employment: null,
      everEmployed: false,
      lastEmploymentEndedOn: null,
      left: null,
      residenceStatus: { status: TEMPORARY_PROTECTION, since: data.protectionGrantedOn },
      stayStartedOn: data.registeredOn,
      latestOccurredOn: data.registeredOn,
      absences: [],
      archived: null,
      personalDataErased: null,
    };
  }
  if (state.status === 'unregistered') return state;
  // Administrative events are dated on the day they were done, which is no fact of the stay.
  if (event.type === 'DossierArchived') return { ...state, archived: { ...event.data } };
  if (event.type === 'PersonalDataErased') {
    return {
      ...state,
      person: { ...state.person, givenName: ERASED, familyName: ERASED, birthDate: ERASED, nationalRegisterNumber: ERASED },
      protection: { ...state.protection, attestationNumber: ERASED },
      personalDataErased: { ...event.data },
    };
  }

  const on = occurredOn(event);
  const dossier: RegisteredDossier = {
    ...state,
    latestOccurredOn: on > state.latestOccurredOn ? on : state.latestOccurredOn,
  };
  switch (event.type) {
    case 'PersonHoused':
    case 'PersonRehoused':
      return { ...dossier, housing: { type: event.data.housingType, municipality: event.data.municipality, since: on } };
    case 'InburgeringEnrolled':
      return { ...dossier, inburgering: { trajectory: event.data.trajectory, enrolledOn: on } };
    case 'VdabRegistered':
      return { ...dossier, vdab: { registeredOn: on } };
    case 'EmploymentStarted':
      return { ...dossier, employment: { since: on }, everEmployed: true };
    case 'EmploymentEnded':
      return { ...dossier, employment: null, lastEmploymentEndedOn: on };
    case 'PersonLeft':
      return { ...dossier, status: 'left', left: { on, reason: event.data.reason }, housing: null, employment: null };
    case 'DossierReopened':
      return {
        ...dossier,
        status: 'active',
        left: null,
        absences: state.left ? [...state.absences, { leftOn: state.left.on, reopenedOn: on }] : state.absences,
        municipality: event.data.municipality,
        residenceStatus: { status: TEMPORARY_PROTECTION, since: on },
        stayStartedOn: on,
        latestOccurredOn: on,
      };
    case 'ResidenceStatusChanged':
      return { ...dossier, residenceStatus: { status: event.data.status, since: on } };
  }
}
