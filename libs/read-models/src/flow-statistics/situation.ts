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
): { periods: readonly SituationPeriod[]; attributions: readonly Attribution[] } {
  const fold = new SituationFold(directory);
  fold.add(events);
  return fold.timeline();
}

/** Where a fold stands before the events of one date: what it resumes from when more events of that date come. */
interface FoldMark {
  index: number;
  state: DossierState;
  municipalitySince: IsoDate | null;
  periods: number;
  attributions: number;
}

/**
 * The fold of situationTimeline, taking a dossier's events a few at a time (recordedHistory gives
 * it those recorded at each moment, in recording order): its timeline after each add is
 * situationTimeline's of every event added so far (situation.spec.ts holds the two equal). Events
 * that come after every one folded in business order (most: facts are mostly recorded in the order
 * they happened) resume the fold from the start of the last date folded, whose period they may
 * change; an event that goes before one folded (recorded late) folds them all again. So a dossier's
 * history at each of its k recording moments costs some k events folded instead of k²/2; and what
 * an add can have changed starts where it resumed (unchangedBefore), so recordedHistory compares
 * only from there.
 */
export class SituationFold<E extends StatEvent = StatEvent> {
  /** The events folded, in business order. */
  private readonly ordered: E[] = [];
  private readonly periods: SituationPeriod[] = [];
  private readonly attributions: Attribution[] = [];
  /** The fold before the last date's events. */
  private mark: FoldMark = { index: 0, state: initialState, municipalitySince: null, periods: 0, attributions: 0 };
  /** What the last add left as it was (unchangedBefore). */
  private kept = { periods: 0, attributions: 0 };

  constructor(private readonly directory: MunicipalityDirectory = defaultMunicipalityDirectory) {}

  /** Folds these events too. */
  add(events: readonly E[]): void {
    if (events.length === 0) return;
    const more = [...events].sort(businessOrder);
    const last = this.ordered.at(-1);
    this.ordered.push(...more);
    if (last && businessOrder(more[0], last) < 0) {
      this.ordered.sort(businessOrder);
      this.mark = { index: 0, state: initialState, municipalitySince: null, periods: 0, attributions: 0 };
    }
    // The fold resumes at the mark: the periods before it stay (the same objects, as they were),
    // but the last of them, which the dates after it close again; so do the attributions before it.
    this.kept = { periods: Math.max(0, this.mark.periods - 1), attributions: this.mark.attributions };
    this.foldFrom(this.mark);
  }

  /** The timeline of the events folded (the fold's own lists: read them before the next add). */
  timeline(): { periods: readonly SituationPeriod[]; attributions: readonly Attribution[] } {
    return { periods: this.periods, attributions: this.attributions };
  }

  /** The events folded, in business order: attributions[i] is events()[i]'s (the fold's own list, as timeline's). */
  events(): readonly E[] {
    return this.ordered;
  }

  /**
   * How many of the timeline's periods and attributions the last add left as they were: the
   * same objects, with the same values, as before it (0 and 0 after a first add, or one that
   * folded every event again). A period's validTo is the one value the fold changes in place.
   */
  unchangedBefore(): { periods: number; attributions: number } {
    return this.kept;
  }

  private foldFrom(mark: FoldMark): void {
    const { ordered, periods, attributions, directory } = this;
    let state = mark.state;
    let municipalitySince = mark.municipalitySince;
    periods.length = mark.periods;
    // The last period before the mark was open then: a period of the dates after it closes it again.
    if (periods.length > 0) periods[periods.length - 1].validTo = null;
    attributions.length = mark.attributions;
    // A housing's province is the one of its code on the day the person was housed there.
    const provinceOfHousing = (housing: { municipality: string; since: IsoDate }) => provinceOf(housing.municipality, housing.since, directory);
    for (let index = mark.index; index < ordered.length; index++) {
      const event = ordered[index];
      if (index === 0 || ordered[index - 1].occurredOn !== event.occurredOn) {
        this.mark = { index, state, municipalitySince, periods: periods.length, attributions: attributions.length };
      }
      const before = state.status === 'unregistered' ? null : state.municipality;
      const housedBefore = state.status === 'unregistered' ? null : state.housing;
      state = evolve(state, asDomainEvent(event));
      if (state.status === 'unregistered') {
        attributions.push({ version: event.version, municipality: null, provinceNis: null, housingMunicipality: null, housingProvinceNis: null });
        continue;
      }
      if (state.municipality !== before || municipalitySince === null) municipalitySince = event.occurredOn;
      const provinceNis = provinceOf(state.municipality, municipalitySince, directory);
      const housing = state.housing;
      const housingProvinceNis = housing ? provinceOfHousing(housing) : null;
      // By housing, an event that ends the housing (a departure) counts where the person was housed until then.
      attributions.push({
        version: event.version,
        municipality: state.municipality,
        provinceNis,
        housingMunicipality: (housing ?? housedBefore)?.municipality ?? null,
        housingProvinceNis: housing ? housingProvinceNis : housedBefore ? provinceOfHousing(housedBefore) : null,
      });
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
        housingMunicipality: housing?.municipality ?? null,
        housingProvinceNis,
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
  }
}
