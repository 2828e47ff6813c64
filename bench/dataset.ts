import {
  addDays,
  decideInTurn,
  defaultMunicipalityDirectory,
  dossierStreamId,
  initialState,
  occurredOn,
  type DossierCommand,
  type DossierState,
  type IsoDate,
  type PersonalData,
  type RegisterDossier,
} from '@app/domain';
import {
  GENESIS_HASH,
  HistoryGenerator,
  NATIONAL_REGISTER_NUMBER_RESERVED,
  randomSource,
  reservationEvent,
  storedDossierEvents,
} from '@app/dossiers';
import type { EventToAppend } from '@app/event-store';
import { MasterKey, newDossierKey, sealPersonalData } from '@app/personal-data';
import { deterministicUuid } from '@app/platform';

/**
 * Dossier histories as the service would have stored them, made without the service so that a
 * large store can be loaded in seconds: each command is decided on the domain's rules, its events
 * encoded as the dossier repository encodes them (storedDossierEvents: the envelope's metadata
 * and the hash chain), a registration's personal block sealed as libs/personal-data seals it (or
 * left in plain, the legacy form readers still accept), and a national register number reserved
 * in its own stream first with the reservations' own event, as the writer does.
 */

/** One row of the event store, in the form both stores take. */
export interface BenchEventRow {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  /** Milliseconds since the epoch: the metadata's recordedAt and the row's created_at. */
  readonly recordedAt: number;
}

export interface BenchDossier {
  readonly dossierId: string;
  /** The reservation (if any) first, then the dossier's events in version order. */
  readonly rows: readonly BenchEventRow[];
  /** The wrapped per-dossier key for personal_data_keys; null when stored in plain. */
  readonly wrappedKey: Buffer | null;
  readonly state: DossierState;
}

/** How a registration's personal block is stored. */
export interface PersonalBlockSealer {
  readonly encrypted: boolean;
  seal(dossierId: string, personal: PersonalData): { stored: unknown; wrappedKey: Buffer | null };
}

/** As the service stores it: AES-256-GCM under a fresh dossier key, wrapped under the master secret. */
export function envelopeSealer(masterSecret: string): PersonalBlockSealer {
  const master = MasterKey.derive(new TextEncoder().encode(masterSecret));
  return {
    encrypted: true,
    seal(dossierId, personal) {
      const key = newDossierKey();
      return { stored: sealPersonalData(personal, key, dossierId), wrappedKey: master.wrap(key, dossierId) };
    },
  };
}

/** Legacy plain personal blocks (written before encryption), which readers still accept. */
export const plainSealer: PersonalBlockSealer = {
  encrypted: false,
  seal: (_dossierId, personal) => ({ stored: personal, wrappedKey: null }),
};

export interface DossierRowEncoderOptions {
  readonly today: IsoDate;
  /** "Now" in milliseconds: no event is recorded after it. */
  readonly now: number;
  readonly actor: string;
  readonly sealer: PersonalBlockSealer;
  /** The reservation stream of a national register number (NationalRegisterReservations.streamFor). */
  readonly reservationStream: (nationalRegisterNumber: string) => string;
  /** Seeds the recording delays. */
  readonly seed: number;
  /**
   * National register numbers reserved in the store so far (shared by every writer of one
   * store): a registration with a number already taken is refused, as the service refuses it.
   */
  readonly reservedNumbers: Set<string>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A row of the store from an event as the service appends it. */
const rowOf = (event: EventToAppend) => ({ eventId: event.id, type: event.type, data: event.data, metadata: event.metadata });

/** Turns commands into stored rows through the write side's own encoding (libs/dossiers), without a store. */
export class DossierRowEncoder {
  private readonly random: () => number;

  constructor(private readonly options: DossierRowEncoderOptions) {
    this.random = randomSource(options.seed);
  }

  /**
   * Runs the commands in order; the first one the rules refuse ends the history there, as the
   * seeder does (a registration refused leaves no dossier at all: no rows). `name` makes the command and event ids of this dossier unique and repeatable.
   */
  write(name: string, registration: RegisterDossier, commands: readonly DossierCommand[], lateness = 10): BenchDossier {
    const { dossierId } = registration;
    const context = { today: this.options.today, municipalities: defaultMunicipalityDirectory };
    const rows: BenchEventRow[] = [];
    let state: DossierState = initialState;
    let lastHash = GENESIS_HASH;
    let lastRecorded = 0;
    let wrappedKey: Buffer | null = null;
    let version = 0;
    for (const [index, command] of [registration, ...commands].entries()) {
      const decided = decideInTurn([command], context, state);
      if (decided.refusal) break;
      const nationalRegisterNumber = command.type === 'RegisterDossier' ? command.person.nationalRegisterNumber : null;
      if (nationalRegisterNumber) {
        if (this.options.reservedNumbers.has(nationalRegisterNumber)) break;
        this.options.reservedNumbers.add(nationalRegisterNumber);
      }
      const recording = { actor: this.options.actor, correlationId: `bench-${name}`, commandId: deterministicUuid(`bench/${name}/${index}`) };
      // Facts are often recorded some days after they happened, during office hours.
      const happened = Date.parse(`${occurredOn(decided.events[0])}T00:00:00Z`);
      const candidate = happened + Math.floor(this.random() * lateness) * DAY_MS + 8 * HOUR_MS + Math.floor(this.random() * 10 * HOUR_MS);
      const recordedAt = Math.min(Math.max(candidate, lastRecorded + 1000), this.options.now);
      lastRecorded = recordedAt;
      if (nationalRegisterNumber) {
        const reservation = reservationEvent(NATIONAL_REGISTER_NUMBER_RESERVED, dossierId, { ...recording, recordedAt: new Date(recordedAt - 50).toISOString() }, 'reservation/0');
        rows.push({ ...rowOf(reservation), streamId: this.options.reservationStream(nationalRegisterNumber), version: 1, recordedAt: recordedAt - 50 });
      }
      const sealed = decided.events.map((event) => {
        if (event.type !== 'DossierRegistered') return { event, data: event.data as unknown as Record<string, unknown> };
        const { stored, wrappedKey: key } = this.options.sealer.seal(dossierId, event.data.personal);
        wrappedKey = key;
        return { event, data: { ...event.data, personal: stored } };
      });
      const stored = storedDossierEvents(lastHash, sealed, { ...recording, recordedAt: new Date(recordedAt).toISOString() });
      for (const event of stored) rows.push({ ...rowOf(event), streamId: dossierStreamId(dossierId), version: ++version, recordedAt });
      lastHash = String(stored.at(-1)?.metadata.hash ?? lastHash);
      state = decided.state;
    }
    return { dossierId, rows, wrappedKey, state };
  }
}

/** Realistic histories (libs/dossiers/src/seed/history-generator.ts), numbered from 1. */
export class RealisticDossiers {
  private readonly generator: HistoryGenerator;

  constructor(
    private readonly writer: DossierRowEncoder,
    private readonly seed: number,
    today: IsoDate,
  ) {
    this.generator = new HistoryGenerator(seed, today);
  }

  /** Person `index` of this seed; call in increasing order (the generator is one random stream). */
  dossier(index: number): BenchDossier | undefined {
    const person = this.generator.person(index);
    if (!person) return undefined;
    const dossierId = deterministicUuid(`bench/dossier/${this.seed}/${index}`);
    return this.writer.write(`${this.seed}/${index}`, { ...person.registration, dossierId }, person.commands);
  }
}

/**
 * A valid national register number, different for each index below 50,000, with serial 998 or
 * 999, which the history generator never uses (its serials are 1 to 997): so no registration of
 * the bench collides with a loaded history's reservation.
 */
export function benchNationalRegisterNumber(index: number): { birthDate: IsoDate; number: string } {
  const birthDate = addDays('1950-01-01', index % 25_000);
  const serial = 998 + (Math.floor(index / 25_000) % 2);
  const base = `${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}${String(serial).padStart(3, '0')}`;
  return { birthDate, number: `${base}${String(97 - (Number(base) % 97)).padStart(2, '0')}` };
}

/** A command over HTTP: path under /dossiers and JSON body. */
export interface HttpCommand {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * The body of POST /dossiers for bench registration `index` (unique national register numbers
 * for seven in ten, as the seeder has them).
 */
export function registrationBody(index: number, today: IsoDate): Record<string, unknown> {
  const { birthDate, number } = benchNationalRegisterNumber(index);
  const registeredOn = addDays(today, -(index % 300) - 1);
  const withNumber = index % 10 < 7;
  return {
    person: {
      givenName: ['Olena', 'Iryna', 'Andrii', 'Mariia', 'Dmytro'][index % 5],
      familyName: ['Kovalenko', 'Boiko', 'Melnyk', 'Shevchenko', 'Lysenko', 'Petrenko'][index % 6],
      birthDate,
      sex: index % 5 < 3 ? 'female' : 'male',
      nationality: 'UKR',
      ...(withNumber ? { nationalRegisterNumber: number } : {}),
    },
    protection: { attestationNumber: `TB-BENCH-${String(index).padStart(8, '0')}`, grantedOn: addDays(registeredOn, -3) },
    municipality: POOL_MUNICIPALITIES[index % POOL_MUNICIPALITIES.length],
    registeredOn,
  };
}

/** Large cities that exist before and after the 2025 mergers. */
const POOL_MUNICIPALITIES = ['11002', '44021', '24062', '71072', '31005'];

/**
 * Dossiers of the command scenario: registered (loaded straight into the store) and then taken
 * through a fixed path over HTTP, one command at a time, each valid on the state the previous
 * one left. Dates are before today whatever day the bench runs.
 */
export class LifecyclePool {
  /** The path after registration: [HTTP path segment, command, days after registration]. */
  static readonly STEPS = 7;

  constructor(
    private readonly today: IsoDate,
    private readonly seed: number,
  ) {}

  dossierId(index: number): string {
    return deterministicUuid(`bench/pool/${this.seed}/${index}`);
  }

  registeredOn(index: number): IsoDate {
    return addDays(this.today, -420 - (index % 200));
  }

  registration(index: number): RegisterDossier {
    const body = registrationBody(1_000_000 + index, this.today);
    const person = body.person as RegisterDossier['person'];
    return {
      type: 'RegisterDossier',
      dossierId: this.dossierId(index),
      person: { ...person, nationalRegisterNumber: null },
      protection: { attestationNumber: `TB-POOL-${index}`, grantedOn: addDays(this.registeredOn(index), -2) },
      municipality: POOL_MUNICIPALITIES[index % POOL_MUNICIPALITIES.length],
      householdId: null,
      registeredOn: this.registeredOn(index),
    };
  }

  /** Step `step` (0-based, < STEPS) of dossier `index`, as a domain command and as HTTP. */
  step(index: number, step: number): { command: Exclude<DossierCommand, RegisterDossier>; http: HttpCommand } {
    const on = (days: number) => addDays(this.registeredOn(index), days);
    const home = POOL_MUNICIPALITIES[index % POOL_MUNICIPALITIES.length];
    const elsewhere = POOL_MUNICIPALITIES[(index + 1) % POOL_MUNICIPALITIES.length];
    const steps: Array<[string, Exclude<DossierCommand, RegisterDossier>]> = [
      ['housed', { type: 'HousePerson', housingType: 'host-family', municipality: home, on: on(2) }],
      ['inburgering-enrolled', { type: 'EnrolInInburgering', trajectory: 'inburgeringstraject', on: on(30) }],
      ['vdab-registered', { type: 'RegisterAtVdab', on: on(45) }],
      ['employment-started', { type: 'StartEmployment', on: on(90) }],
      ['rehoused', { type: 'RehousePerson', housingType: 'private-rental', municipality: elsewhere, on: on(120), reason: 'host-placement-ended' }],
      ['employment-ended', { type: 'EndEmployment', on: on(240) }],
      ['left', { type: 'RecordDeparture', on: on(330), reason: 'moved-within-belgium' }],
    ];
    const [segment, command] = steps[step];
    const { type: _type, ...body } = command;
    return { command, http: { path: `/dossiers/${this.dossierId(index)}/${segment}`, body } };
  }
}
