import {
  defaultMunicipalityDirectory,
  type DepartureReason,
  type DossierCommand,
  type HousingType,
  type IsoDate,
  type Municipality,
  type OtherResidenceStatus,
  type RegisterDossier,
  type RehousingReason,
} from '@app/domain';

/**
 * Deterministic, realistic histories of displaced persons, shaped after the published figures in
 * docs/domain.md: arrivals peaking in spring 2022, then going on at about 1.3% a month of those
 * registered by mid-2024 (Belgium issued 1,000 to 1,100 residence certificates a month then) up to
 * `today`; host families first and rehousing later; a steady chance of leaving, so that about a
 * fifth of those registered by mid-2024 had left by then and departures go on; about half of those
 * registered at VDAB ever employed and about a third still working; moves to another residence
 * status (a single permit, an asylum application, …) rare until 2025 and rising toward the end of
 * temporary protection. The same seed and `today` give the same histories, whatever the date they
 * are generated on; no date passes `today`.
 */

export interface GeneratedPerson {
  readonly registration: Omit<RegisterDossier, 'dossierId'>;
  /** In the order they are to be sent; each respects the dossier's rules. */
  readonly commands: ReadonlyArray<Exclude<DossierCommand, RegisterDossier>>;
}

/** mulberry32: small, fast, good enough for synthetic data, and the same on every machine. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const toDate = (ms: number): IsoDate => new Date(ms).toISOString().slice(0, 10);
const msOf = (date: IsoDate) => Date.parse(`${date}T00:00:00Z`);
const addDays = (date: IsoDate, days: number): IsoDate => toDate(msOf(date) + Math.round(days) * DAY_MS);

/** Registrations per month in 2022, relative: the spring peak, then a long tail. */
const ARRIVALS_2022: ReadonlyArray<[month: string, weight: number]> = [
  ['2022-03', 30], ['2022-04', 24], ['2022-05', 14], ['2022-06', 8], ['2022-07', 5], ['2022-08', 4],
  ['2022-09', 3.5], ['2022-10', 3.5], ['2022-11', 3], ['2022-12', 2.5],
];
/** Each month of a later year, on the same scale: arrivals slow but never stop. */
const MONTHLY_ARRIVALS_FROM: ReadonlyArray<[year: number, weight: number]> = [
  [2023, 2.2],
  [2024, 1.8],
  [2025, 1.5],
  [2026, 1.4],
];

/** Every month from March 2022 up to the one `today` is in, with its weight. */
function arrivalWeights(today: IsoDate): Array<[month: string, weight: number]> {
  const weights = ARRIVALS_2022.filter(([month]) => month <= today.slice(0, 7));
  for (let year = 2023; year <= Number(today.slice(0, 4)); year++) {
    const weight = [...MONTHLY_ARRIVALS_FROM].reverse().find(([from]) => year >= from)![1];
    for (let month = 1; month <= 12; month++) {
      const label = `${year}-${String(month).padStart(2, '0')}`;
      if (label <= today.slice(0, 7)) weights.push([label, weight]);
    }
  }
  return weights;
}

/**
 * Mean stay in days under a constant chance of leaving (exponential): 90 months leaves about a
 * fifth of those registered by mid-2024 gone by then, and a third by the end of 2026.
 */
const MEAN_STAY_DAYS = 90 * 30.44;

/** Where people were received most (large cities), the rest spread over all municipalities. */
const LARGE_CITIES: ReadonlyArray<[nis: string, weight: number]> = [
  ['11002', 12], ['44021', 8], ['21004', 5], ['24062', 4], ['31005', 3], ['12025', 3], ['71022', 2], ['71072', 2],
];

const FIRST_HOUSING: ReadonlyArray<[HousingType, number]> = [
  ['host-family', 50], ['collective', 20], ['emergency-village', 6], ['loi', 10], ['social-rental', 5], ['private-rental', 6], ['other', 3],
];
const LATER_HOUSING: ReadonlyArray<[HousingType, number]> = [
  ['social-rental', 25], ['private-rental', 40], ['loi', 15], ['collective', 10], ['other', 10],
];
const DEPARTURES: ReadonlyArray<[DepartureReason, number]> = [
  ['returned-to-ukraine', 45], ['moved-abroad', 20], ['moved-within-belgium', 20], ['other-residence-status', 5], ['deceased', 1], ['unknown', 9],
];
/**
 * The monthly chance that someone under temporary protection moves to another status and stays:
 * rare while protection was extended year by year, more common once its end (March 2027) was in
 * sight and the EU asked member states to prepare the transition (2025), rising through 2026.
 */
function transitionHazard(on: IsoDate): number {
  if (on < '2025-01-01') return 0.0008;
  if (on < '2026-01-01') return 0.003;
  const monthsInto2026 = (Number(on.slice(0, 4)) - 2026) * 12 + Number(on.slice(5, 7)) - 1;
  return Math.min(0.015, 0.004 + 0.0006 * monthsInto2026);
}
const ADULT_STATUSES: ReadonlyArray<[OtherResidenceStatus, number]> = [
  ['single-permit', 45], ['student', 8], ['family-reunification', 10], ['international-protection-applied', 25], ['other-national-status', 12],
];
const MINOR_STATUSES: ReadonlyArray<[OtherResidenceStatus, number]> = [['student', 30], ['family-reunification', 50], ['international-protection-applied', 20]];

const GIVEN_NAMES = ['Olena', 'Iryna', 'Oksana', 'Natalia', 'Tetiana', 'Yulia', 'Anastasia', 'Sofia', 'Mariia', 'Andrii', 'Oleksandr', 'Dmytro', 'Serhii', 'Mykola', 'Artem', 'Maksym'];
const FAMILY_NAMES = ['Kovalenko', 'Bondarenko', 'Tkachenko', 'Shevchenko', 'Kravchenko', 'Melnyk', 'Boiko', 'Koval', 'Oliinyk', 'Lysenko', 'Marchenko', 'Rudenko', 'Savchenko', 'Petrenko'];

function pick<T>(random: () => number, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = random() * total;
  for (const [value, weight] of weighted) {
    threshold -= weight;
    if (threshold < 0) return value;
  }
  return weighted[weighted.length - 1][0];
}

function nationalRegisterNumber(birthDate: IsoDate, serial: number): string {
  const [year, month, day] = birthDate.split('-');
  const base = `${year.slice(2)}${month}${day}${String(serial).padStart(3, '0')}`;
  const prefix = Number(year) >= 2000 ? 2_000_000_000 : 0;
  const check = 97 - ((prefix + Number(base)) % 97);
  return `${base}${String(check).padStart(2, '0')}`;
}

export class HistoryGenerator {
  private readonly random: () => number;
  private readonly flemish: Municipality[];
  private readonly arrivals: Array<[month: string, weight: number]>;

  constructor(
    private readonly seed: number,
    private readonly today: IsoDate,
  ) {
    this.random = randomSource(seed);
    this.flemish = defaultMunicipalityDirectory.all().filter((m) => m.validTo === null || m.validTo >= '2022-03-01');
    this.arrivals = arrivalWeights(today);
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private between(min: number, max: number): number {
    return min + this.random() * (max - min);
  }

  /** A municipality valid on that date: a large city often, otherwise any. */
  private municipality(on: IsoDate): string {
    for (let attempt = 0; attempt < 20; attempt++) {
      const nis = this.chance(0.4)
        ? pick(this.random, LARGE_CITIES)
        : this.flemish[Math.floor(this.random() * this.flemish.length)].nis;
      if (defaultMunicipalityDirectory.find(nis, on)) return nis;
    }
    return '11002';
  }

  /** Person number `index` (1-based); also keeps national register numbers unique per run. */
  person(index: number): GeneratedPerson | undefined {
    if (this.arrivals.length === 0) return undefined;
    const month = pick(this.random, this.arrivals);
    // Any day of the month up to the 28th; in the month of today, up to today.
    const lastDay = month === this.today.slice(0, 7) ? Math.min(27, Number(this.today.slice(8, 10)) - 1) : 27;
    const registeredOn = addDays(`${month}-01`, this.between(0, lastDay));
    const minor = this.chance(0.33);
    const age = minor ? this.between(0, 17) : this.between(18, 70);
    const birthDate = addDays(registeredOn, -age * 365.25 - this.between(1, 300));
    const grantedOn = addDays(registeredOn, -this.between(0, 10));
    const municipality = this.municipality(registeredOn);
    const registration: Omit<RegisterDossier, 'dossierId'> = {
      type: 'RegisterDossier',
      person: {
        givenName: GIVEN_NAMES[Math.floor(this.random() * GIVEN_NAMES.length)],
        familyName: FAMILY_NAMES[Math.floor(this.random() * FAMILY_NAMES.length)],
        birthDate,
        sex: this.chance(0.6) ? 'female' : 'male',
        nationality: this.chance(0.95) ? 'UKR' : 'RUS',
        // Serial numbers are per birth date in reality; per run here, unique for up to 998 x 997 people.
        nationalRegisterNumber: this.chance(0.7) ? nationalRegisterNumber(birthDate, 1 + (index % 997)) : null,
      },
      protection: { attestationNumber: `TB-${registeredOn.slice(0, 4)}-${String(index).padStart(7, '0')}`, grantedOn },
      municipality,
      householdId: null,
      registeredOn,
    };
    return { registration, commands: this.path(registeredOn, minor, index) };
  }

  private path(registeredOn: IsoDate, minor: boolean, index: number): Exclude<DossierCommand, RegisterDossier>[] {
    const facts: Array<{ on: IsoDate; command: Exclude<DossierCommand, RegisterDossier> }> = [];
    // The day the stay ends, maybe after today; nothing of the stay happens on or after it.
    const leftOn = addDays(registeredOn, Math.max(1, -Math.log(1 - this.random()) * MEAN_STAY_DAYS));
    const within = (on: IsoDate) => on <= this.today && on < leftOn;

    let housingType = pick(this.random, FIRST_HOUSING);
    let housedOn = addDays(registeredOn, this.between(0, 20));
    if (within(housedOn)) {
      facts.push({ on: housedOn, command: { type: 'HousePerson', housingType, municipality: this.municipality(housedOn), on: housedOn } });
      const moves = housingType === 'host-family' ? (this.chance(0.55) ? 1 : 0) + (this.chance(0.15) ? 1 : 0) : this.chance(0.25) ? 1 : 0;
      for (let move = 0; move < moves; move++) {
        const on = addDays(housedOn, this.between(60, 420));
        if (!within(on)) break;
        const reason: RehousingReason =
          housingType === 'host-family'
            ? 'host-placement-ended'
            : housingType === 'emergency-village'
              ? 'emergency-village-closed'
              : housingType === 'collective'
                ? 'site-closed'
                : pick(this.random, [['moved-municipality', 3], ['other', 1]] as const);
        housingType = pick(this.random, LATER_HOUSING);
        facts.push({ on, command: { type: 'RehousePerson', housingType, municipality: this.municipality(on), on, reason } });
        housedOn = on;
      }
    }
    const enrolOn = addDays(registeredOn, this.between(30, 300));
    if (within(enrolOn) && this.chance(minor ? 0.05 : 0.4)) {
      facts.push({ on: enrolOn, command: { type: 'EnrolInInburgering', trajectory: enrolOn < '2024-01-01' ? 'voortraject' : 'inburgeringstraject', on: enrolOn } });
    }
    const vdabOn = addDays(registeredOn, this.between(20, 360));
    if (!minor && within(vdabOn) && this.chance(0.6)) {
      facts.push({ on: vdabOn, command: { type: 'RegisterAtVdab', on: vdabOn } });
      if (this.chance(0.53)) {
        const startOn = addDays(vdabOn, this.between(20, 400));
        if (within(startOn)) {
          facts.push({ on: startOn, command: { type: 'StartEmployment', on: startOn } });
          // About two thirds of those ever employed are still working.
          const endOn = addDays(startOn, this.between(60, 700));
          if (this.chance(0.34) && within(endOn)) facts.push({ on: endOn, command: { type: 'EndEmployment', on: endOn } });
        }
      }
    }
    facts.push(...this.statusChanges(registeredOn, minor, index, within));
    facts.sort((a, b) => a.on.localeCompare(b.on));
    const commands = facts.map((fact) => fact.command);

    if (leftOn <= this.today) {
      commands.push({ type: 'RecordDeparture', on: leftOn, reason: pick(this.random, DEPARTURES) });
      const reopenOn = addDays(leftOn, this.between(30, 400));
      if (this.chance(0.08) && reopenOn <= this.today) {
        commands.push({ type: 'ReopenDossier', on: reopenOn, municipality: this.municipality(reopenOn) });
      }
    }
    return commands;
  }

  /**
   * A move to another residence status during the stay, month by month at the chance of its date,
   * and for an asylum application sometimes its grant later. Drawn from a stream of the person's
   * own, so adding them changed no other fact of the generated histories.
   */
  private statusChanges(registeredOn: IsoDate, minor: boolean, index: number, within: (on: IsoDate) => boolean) {
    const random = randomSource(this.seed * 1_000_003 + index);
    const changes: Array<{ on: IsoDate; command: Exclude<DossierCommand, RegisterDossier> }> = [];
    for (let on = addDays(registeredOn, 60); within(on); on = addDays(on, 30.44)) {
      if (random() >= transitionHazard(on) * (minor ? 0.5 : 1)) continue;
      const status = pick(random, minor ? MINOR_STATUSES : ADULT_STATUSES);
      changes.push({ on, command: { type: 'ChangeResidenceStatus', on, status } });
      const grantedOn = addDays(on, 120 + random() * 280);
      if (status === 'international-protection-applied' && random() < 0.4 && within(grantedOn)) {
        changes.push({ on: grantedOn, command: { type: 'ChangeResidenceStatus', on: grantedOn, status: 'international-protection-granted' } });
      }
      break;
    }
    return changes;
  }
}
