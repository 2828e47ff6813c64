import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { addDays } from '@app/domain';
import { todayIn, type Clock } from '@app/platform';
import type { TestApp } from './test-app';

/**
 * Shared builders and assertions for the end-to-end specs: request bodies, national register
 * numbers with real check digits, business dates relative to today in Brussels, a small client
 * for the dossier API, and the checks every problem response must pass.
 */

// ---------------------------------------------------------------- dates

/** The domain's, for the specs that count days from their dates. */
export { addDays };

/** The service's business time zone (AppConfig.timeZone default). */
export const BUSINESS_TIME_ZONE = 'Europe/Brussels';

/** Today's business date in Brussels, YYYY-MM-DD. */
export function today(): string {
  return todayIn(BUSINESS_TIME_ZONE);
}

/** Always in the future for the service (its "today" is the Brussels one). */
export function tomorrow(): string {
  return addDays(today(), 1);
}

/**
 * The service's clock with its business day fixed to `day` (its time still runs): a spec that compares
 * dates with "today" then names the service's day, also when it runs across midnight in Brussels.
 */
export function clockOnDay(day: string): Clock {
  return { now: () => new Date(), today: () => day };
}

// ---------------------------------------------------------------- national register numbers

/**
 * A Belgian national register number with correct check digits: YYMMDD, a 3-digit serial, and
 * 97 - (base mod 97), where base is prefixed with a 2 for births from 2000 on.
 */
export function nationalRegisterNumber(birthDate: string, serial: number): string {
  const [year, month, day] = birthDate.split('-');
  if (serial < 1 || serial > 998) throw new Error(`serial ${serial} out of range 1..998`);
  const base = `${year.slice(2)}${month}${day}${String(serial).padStart(3, '0')}`;
  const value = Number(base) + (Number(year) >= 2000 ? 2_000_000_000 : 0);
  return base + String(97 - (value % 97)).padStart(2, '0');
}

/** The same number written the way it is printed on documents: YY.MM.DD-SSS.CC. */
export function formatNationalRegisterNumber(digits: string): string {
  return `${digits.slice(0, 2)}.${digits.slice(2, 4)}.${digits.slice(4, 6)}-${digits.slice(6, 9)}.${digits.slice(9)}`;
}

/** Same base, check digits that pass neither the pre-2000 nor the post-2000 check. */
export function withWrongCheckDigits(digits: string): string {
  const base = Number(digits.slice(0, 9));
  const valid = new Set([97 - (base % 97), 97 - ((2_000_000_000 + base) % 97)]);
  let check = 1;
  while (valid.has(check)) check++;
  return digits.slice(0, 9) + String(check).padStart(2, '0');
}

let nrnCounter = Math.floor(Math.random() * 5000);

/** A fresh valid number (and its birth date) for a person born 1960–1999, different on every call. */
export function freshNationalRegisterNumber(): { birthDate: string; nationalRegisterNumber: string } {
  nrnCounter++;
  const birthDate = addDays('1960-01-01', (nrnCounter * 37) % 14_600);
  const serial = 1 + ((nrnCounter * 7919 + Math.floor(Math.random() * 997)) % 998);
  return { birthDate, nationalRegisterNumber: nationalRegisterNumber(birthDate, serial) };
}

// ---------------------------------------------------------------- request bodies

export interface RegistrationOverrides {
  person?: Record<string, unknown>;
  protection?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A valid POST /dossiers body (Antwerpen, March 2022); overrides merge into person/protection. */
export function registrationBody(overrides: RegistrationOverrides = {}): Record<string, unknown> {
  const { person, protection, ...rest } = overrides;
  return {
    person: {
      givenName: 'Olena',
      familyName: 'Kovalenko',
      birthDate: '1985-07-30',
      sex: 'female',
      nationality: 'UKR',
      ...person,
    },
    protection: { attestationNumber: 'TB-2022-0012345', grantedOn: '2022-03-21', ...protection },
    municipality: '11002',
    householdId: 'household-42',
    registeredOn: '2022-03-24',
    ...rest,
  };
}

export const COMMANDS = [
  'housed',
  'rehoused',
  'inburgering-enrolled',
  'vdab-registered',
  'employment-started',
  'employment-ended',
  'left',
  'reopened',
  'status-changed',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A body that passes validation for each command (dated `on`); rules may still refuse it. */
export function commandBody(command: CommandName, on: string): Record<string, unknown> {
  switch (command) {
    case 'housed':
      return { housingType: 'collective', municipality: '11002', on };
    case 'rehoused':
      return { housingType: 'host-family', municipality: '11002', on, reason: 'site-closed' };
    case 'inburgering-enrolled':
      return { trajectory: 'inburgeringstraject', on };
    case 'left':
      return { on, reason: 'returned-to-ukraine' };
    case 'reopened':
      return { on, municipality: '11002' };
    case 'status-changed':
      return { on, status: 'single-permit' };
    default:
      return { on };
  }
}

// ---------------------------------------------------------------- HTTP client

export type Headers = Record<string, string>;

/** The X-Purpose the tests' reads of personal data give. */
export const PURPOSE = 'end-to-end test';

/** The dossier API as one user sees it: every call carries that user's bearer token. */
export class DossierApi {
  constructor(
    private readonly testApp: TestApp,
    readonly token: string,
  ) {}

  as(token: string): DossierApi {
    return new DossierApi(this.testApp, token);
  }

  private auth(headers: Headers): Headers {
    return { Authorization: `Bearer ${this.token}`, ...headers };
  }

  register(body: unknown = registrationBody(), headers: Headers = {}) {
    return this.testApp.http().post('/dossiers').set(this.auth(headers)).send(body as object);
  }

  command(dossierId: string, command: CommandName, body: unknown, headers: Headers = {}) {
    return this.testApp.http().post(`/dossiers/${dossierId}/${command}`).set(this.auth(headers)).send(body as object);
  }

  /** Reads send a purpose, as auditors must (the access log records it); a test may override it. */
  get(dossierId: string, headers: Headers = {}) {
    return this.testApp.http().get(`/dossiers/${dossierId}`).set(this.auth({ 'X-Purpose': PURPOSE, ...headers }));
  }

  history(dossierId: string, headers: Headers = {}) {
    return this.testApp.http().get(`/dossiers/${dossierId}/history`).set(this.auth({ 'X-Purpose': PURPOSE, ...headers }));
  }

  /** Registers a dossier (201 expected) and returns its id. */
  async registered(overrides: RegistrationOverrides = {}): Promise<string> {
    const response = await this.register(registrationBody(overrides));
    expectStatus(response, 201);
    return response.body.dossierId as string;
  }

  /** Sends a command that must succeed and returns the new version. */
  async recorded(dossierId: string, command: CommandName, body: unknown): Promise<number> {
    const response = await this.command(dossierId, command, body);
    expectStatus(response, 201);
    return response.body.version as number;
  }
}

export function newCorrelationId(): string {
  return `corr-${randomUUID()}`;
}

// ---------------------------------------------------------------- assertions

/** Fails with the body in the message, so a wrong status explains itself. */
export function expectStatus(response: Response, status: number): void {
  if (response.status !== status) {
    const { req } = response as unknown as { req?: { method?: string; path?: string } };
    throw new Error(`expected HTTP ${status}, got ${response.status} for ${req?.method} ${req?.path}: ${response.text?.slice(0, 1000)}`);
  }
}

/** Traces of internals that must never reach a client: stack frames, file paths, driver errors. */
const LEAKS: ReadonlyArray<RegExp> = [
  /\bat [\w$.<>]+ \(/, // "at Foo.bar (" stack frame
  /\n\s*at /, // any stack frame line
  /\bat \/|\bat file:/, // "at /path/file.js:1:2"
  /\.(ts|js):\d+/,
  /node_modules/,
  /\b(TypeError|ReferenceError|RangeError|QueryFailedError|EntityNotFound|DatabaseError)\b/,
  /\bCannot read propert/,
  /duplicate key|violates|relation "|syntax error at/i,
  /ECONNREFUSED|ECONNRESET/,
];

export function expectNoLeak(text: string): void {
  for (const pattern of LEAKS) {
    if (pattern.test(text)) throw new Error(`response leaks internals (${pattern}): ${text.slice(0, 1000)}`);
  }
}

/**
 * An RFC 9457 problem: the status, `application/problem+json`, a body repeating the status with
 * `type` `/problems/<slug>` and a title, and nothing internal in it.
 */
export function expectProblem(response: Response, status: number, slug?: string): Record<string, unknown> {
  expectStatus(response, status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  const body = JSON.parse(response.text) as Record<string, unknown>;
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe('string');
  expect(body.type).toEqual(expect.stringMatching(/^\/problems\/[a-z0-9-]+$/));
  if (slug !== undefined) expect(body.type).toBe(`/problems/${slug}`);
  expectNoLeak(response.text);
  return body;
}

/** A 409 naming the domain rule that was broken. */
export function expectRuleViolation(response: Response, rule: string): Record<string, unknown> {
  const body = expectProblem(response, 409, rule);
  expect(body.rule).toBe(rule);
  return body;
}

/**
 * Runs a request that must be refused and checks it appended nothing: the history (events and
 * ETag) reads the same before and after.
 */
export async function expectNothingAppended<T extends Response>(
  api: DossierApi,
  dossierId: string,
  send: () => PromiseLike<T>,
): Promise<T> {
  const before = await api.history(dossierId);
  expectStatus(before, 200);
  const response = await send();
  const after = await api.history(dossierId);
  expectStatus(after, 200);
  expect(after.headers.etag).toBe(before.headers.etag);
  expect(after.body).toEqual(before.body);
  return response;
}

// ---------------------------------------------------------------- database

/** Runs one query against the app's database directly (e.g. the event_store.events table). */
export async function queryDatabase<R extends Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
