import {
  businessOrder,
  defaultMunicipalityDirectory,
  evolve,
  initialState,
  stageOf,
  type DossierEvent,
  type DossierState,
  type IsoDate,
  type MunicipalityDirectory,
  type Stage,
} from '@app/domain';
import { provinceOf } from '../places';

/**
 * One event as the statistics keep it: no names, birth date, national register number or
 * attestation number; only what the non-personal part of the fold needs.
 */
export interface StatEvent {
  dossierId: string;
  version: number;
  /** Administrative events (archiving, erasure) change no statistic and are not kept. */
  type: Exclude<DossierEvent['type'], 'DossierArchived' | 'PersonalDataErased'>;
  occurredOn: IsoDate;
  /** Registration, housing or reopening municipality the event itself names. */
  eventMunicipality: string | null;
  housingType: string | null;
  /** Rehousing or departure reason. */
  reason: string | null;
  trajectory: string | null;
  /** The status a ResidenceStatusChanged moves to, and the one it replaces. */
  residenceStatus: string | null;
  previousResidenceStatus: string | null;
}

/** A dossier's situation from validFrom (inclusive) to validTo (exclusive; null: still). */
export interface SituationPeriod {
  dossierId: string;
  validFrom: IsoDate;
  validTo: IsoDate | null;
  active: boolean;
  /** Its stage on those days (stageOf). */
  stage: Stage;
  housingType: string | null;
  municipality: string;
  provinceNis: string | null;
  /** Where the person is housed on those days, and its province; null while not housed. */
  housingMunicipality: string | null;
  housingProvinceNis: string | null;
  employedNow: boolean;
  everEmployed: boolean;
  vdab: boolean;
  inburgering: boolean;
  /** temporary-protection, or the status the person moved to (kept once left). */
  residenceStatus: string;
}

/**
 * Where an event counts: the dossier's registration municipality after it, in business order;
 * and, by housing, the municipality the person is housed in after it, or for an event that ends
 * the housing (a departure) the one they were housed in until then; null: not housed either way.
 */
export interface Attribution {
  version: number;
  municipality: string | null;
  provinceNis: string | null;
  housingMunicipality: string | null;
  housingProvinceNis: string | null;
}

/**
 * The domain event a statistics row stands for, enough for evolve(): the personal fields are
 * blanked, as no statistic reads them.
 */
function asDomainEvent(event: StatEvent): DossierEvent {
  const on = event.occurredOn;
  switch (event.type) {
    case 'DossierRegistered':
      return {
        type: 'DossierRegistered',
        data: {
          dossierId: event.dossierId,
          personal: { givenName: '', familyName: '', birthDate: '', nationalRegisterNumber: null, attestationNumber: null },
          sex: null,
          nationality: '',
          protectionGrantedOn: on,
          municipality: event.eventMunicipality ?? '',
          householdId: null,
          registeredOn: on,
        },
      };
    case 'PersonHoused':
      return { type: 'PersonHoused', data: { housingType: event.housingType as never, municipality: event.eventMunicipality ?? '', on } };
    case 'PersonRehoused':
      return {
        type: 'PersonRehoused',
        data: {
          housingType: event.housingType as never,
          municipality: event.eventMunicipality ?? '',
          on,
          reason: event.reason as never,
          previousHousingType: 'other',
          previousMunicipality: '',
        },
      };
    case 'InburgeringEnrolled':
      return { type: 'InburgeringEnrolled', data: { trajectory: event.trajectory as never, on } };
    case 'VdabRegistered':
      return { type: 'VdabRegistered', data: { on } };
    case 'EmploymentStarted':
      return { type: 'EmploymentStarted', data: { on } };
    case 'EmploymentEnded':
      return { type: 'EmploymentEnded', data: { on, startedOn: on } };
    case 'PersonLeft':
      return { type: 'PersonLeft', data: { on, reason: event.reason as never } };
    case 'DossierReopened':
      return { type: 'DossierReopened', data: { on, municipality: event.eventMunicipality ?? '' } };
    case 'ResidenceStatusChanged':
      return { type: 'ResidenceStatusChanged', data: { on, status: event.residenceStatus as never, previousStatus: event.previousResidenceStatus as never } };
  }
}

/** Whether two periods describe the same situation (their days aside). */
export const sameSituation = (a: SituationPeriod, b: SituationPeriod) =>
  a.active === b.active &&
  a.stage === b.stage &&
  a.housingType === b.housingType &&
  a.municipality === b.municipality &&
  a.provinceNis === b.provinceNis &&
  a.housingMunicipality === b.housingMunicipality &&
  a.housingProvinceNis === b.housingProvinceNis &&
  a.employedNow === b.employedNow &&
  a.everEmployed === b.everEmployed &&
  a.vdab === b.vdab &&
  a.inburgering === b.inburgering &&
  a.residenceStatus === b.residenceStatus;

/**
 * A dossier's situation on the business-date axis: its events folded with the domain's evolve()
 * in business order (by date, stream order within a date), one period per change. The state on
 * a date is the state after every event of that date. A backdated event simply takes its place
 * in the order, so recomputing from all of a dossier's events is always right.
 */
export function situationTimeline(
  events: readonly StatEvent[],
  directory: MunicipalityDirectory = defaultMunicipalityDirectory,
): { periods: SituationPeriod[]; attributions: Attribution[] } {
  const ordered = [...events].sort(businessOrder);
  const periods: SituationPeriod[] = [];
  const attributions: Attribution[] = [];
  let state: DossierState = initialState;
  let municipalitySince: IsoDate | null = null;
  // A housing's province is the one of its code on the day the person was housed there.
  const housedIn = (housing: { municipality: string; since: IsoDate } | null) =>
    housing ? { housingMunicipality: housing.municipality, housingProvinceNis: provinceOf(housing.municipality, housing.since, directory) } : null;
  for (let index = 0; index < ordered.length; index++) {
    const event = ordered[index];
    const before = state.status === 'unregistered' ? null : state.municipality;
    const housedBefore = state.status === 'unregistered' ? null : state.housing;
    state = evolve(state, asDomainEvent(event));
    if (state.status === 'unregistered') {
      attributions.push({ version: event.version, municipality: null, provinceNis: null, housingMunicipality: null, housingProvinceNis: null });
      continue;
    }
    if (state.municipality !== before || municipalitySince === null) municipalitySince = event.occurredOn;
    const provinceNis = provinceOf(state.municipality, municipalitySince, directory);
    const housed = housedIn(state.housing);
    const notHoused = { housingMunicipality: null, housingProvinceNis: null };
    attributions.push({ version: event.version, municipality: state.municipality, provinceNis, ...(housed ?? housedIn(housedBefore) ?? notHoused) });
    const next = ordered[index + 1];
    if (next && next.occurredOn === event.occurredOn) continue; // the state of a date is the state after all its events
    const stage = stageOf(state) as Stage;
    const period: SituationPeriod = {
      dossierId: event.dossierId,
      validFrom: event.occurredOn,
      validTo: null,
      active: state.status === 'active',
      stage,
      housingType: state.housing?.type ?? null,
      municipality: state.municipality,
      provinceNis,
      ...(housed ?? notHoused),
      employedNow: state.employment !== null,
      everEmployed: state.everEmployed,
      vdab: state.vdab !== null,
      inburgering: state.inburgering !== null,
      residenceStatus: state.residenceStatus.status,
    };
    const last = periods.at(-1);
    if (last && sameSituation(last, period)) continue;
    if (last) last.validTo = period.validFrom;
    periods.push(period);
  }
  return { periods, attributions };
}
