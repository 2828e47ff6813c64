import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { isCalendarDate, isDateDuration } from '@app/domain';

/**
 * Every setting the service reads, validated once at start-up. The README's configuration table
 * lists the same names and defaults; keep them in step.
 */
/** Where the configuration is in the dependency injection of every Nest module of the service. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export interface AppConfig {
  readonly nodeEnv: string;
  readonly port: number;
  /** Interface to listen on; 0.0.0.0 in containers. */
  readonly host: string;
  /** Port of the embedded PostgreSQL; 0 picks a free one at each start. */
  readonly embeddedPostgresPort: number;
  readonly dataDir: string;
  /** Unset: the embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | undefined;
  /** Set (esdb://… or esdb+discover://…): events go to EventStoreDB; unset: to PostgreSQL. */
  readonly eventStoreUrl: string | undefined;
  readonly auth: AuthConfig;
  /** Business dates are calendar days in this zone ("not in the future" means after today here). */
  readonly timeZone: string;
  /** Attempts on fresh state after a concurrency conflict, without If-Match. */
  readonly commandRetries: number;
  readonly bodyLimit: string;
  /**
   * End-date scenarios of temporary protection, in the order given: the outlook's end dates when
   * a request names none. At least one, at most MAX_END_DATES.
   */
  readonly protectionEndDates: readonly string[];
  /** Run the projections inside the API process (the embedded default), or leave them to apps/projector. */
  readonly projectionsInProcess: boolean;
  /** Events per projection transaction. */
  readonly projectionBatchSize: number;
  /** Rows a projection's one-pass fold keeps in memory before writing them. */
  readonly projectionMemoryRows: number;
  /** Where the flow statistics' one-pass fold spills the counts it cannot hold (a directory the service can write to). */
  readonly projectionSpillDir: string;
  /** Key for the keyed hash that stands for a national register number in reservation streams. */
  readonly nrnHashKey: string | undefined;
  /**
   * Master secret under which every dossier's personal-data key is wrapped (docs/erasure.md);
   * unset: generated once into dataDir.
   */
  readonly personalDataKey: string | undefined;
  /** How long an archived dossier keeps its personal data: an ISO 8601 duration such as P5Y. */
  readonly archiveRetention: string;
  /** How long an Idempotency-Key and its stored answer are kept (ISO 8601 date duration). */
  readonly idempotencyRetention: string;
  readonly logLevel: LogLevel;
  /** `auto`: readable lines on a terminal, JSON lines otherwise (a file, a pipe, a log collector). */
  readonly logFormat: LogFormat;
  /** Requests per minute per user (per address without a token); 0 turns the limit off. */
  readonly rateLimitPerMinute: number;
  /** Origins browsers may call from; empty: no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Browsers reach the service over HTTPS (a TLS proxy in front): only then does the CSP say upgrade-insecure-requests. */
  readonly behindTls: boolean;
  /** /health/ready fails while a projection lags further behind than this. */
  readonly readyMaxProjectionLagSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The end of temporary protection as last extended (EU Council, June 2025), unless PROTECTION_END_DATES says otherwise. */
export const DEFAULT_PROTECTION_END_DATES: readonly string[] = ['2027-03-04'];
/** More end dates than this in one outlook is refused, in a request and in the setting alike. */
export const MAX_END_DATES = 12;

/**
 * The schemes of EVENTSTORE_URL the EventStoreDB client in use (@eventstore/db-client) connects
 * with. KurrentDB servers take the same connection string under these schemes.
 */
export const EVENTSTORE_URL_SCHEMES = ['esdb:', 'esdb+discover:'] as const;

export interface AuthConfig {
  readonly jwksUrl: string | undefined;
  readonly issuer: string;
  readonly audience: string;
  /** Shared secret for the embedded default (HS256); unset: generated once into dataDir. */
  readonly devSecret: string | undefined;
  /** Claim holding the roles (dot path, e.g. realm_access.roles). */
  readonly rolesClaim: string;
  /** The provider the dashboard signs in with (authorization code + PKCE); unset: it asks for a pasted token. */
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly scope: string } | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
}

/** Events per projection batch unless PROJECTION_BATCH_SIZE says otherwise (the bench reads the log in such pages too). */
export const DEFAULT_PROJECTION_BATCH_SIZE = 5000;
/**
 * Rows the one-pass folds of a process (rebuilds, catch-ups from empty tables) keep in memory
 * together before writing them, unless PROJECTION_MEMORY_ROWS says otherwise: sized for the heap
 * `npm start` gives V8 (docs/operations.md, "Memory").
 */
export const DEFAULT_PROJECTION_MEMORY_ROWS = 10_000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  /** PROTECTION_END_DATES, or the single PROTECTION_END_DATE of earlier versions; every date a real one. */
  const endDates = (): readonly string[] => {
    const several = text('PROTECTION_END_DATES');
    const single = text('PROTECTION_END_DATE');
    if (several !== undefined && single !== undefined) {
      problems.push('PROTECTION_END_DATE and PROTECTION_END_DATES are both set: keep PROTECTION_END_DATES (PROTECTION_END_DATE is its older, single-date name)');
      return DEFAULT_PROTECTION_END_DATES;
    }
    const name = single !== undefined ? 'PROTECTION_END_DATE' : 'PROTECTION_END_DATES';
    const raw = several ?? single;
    if (raw === undefined) return DEFAULT_PROTECTION_END_DATES;
    const dates = raw.split(',').map((date) => date.trim());
    const wrong = dates.filter((date) => !isCalendarDate(date));
    for (const date of wrong) {
      problems.push(`${name}: "${date}" is not a calendar date as YYYY-MM-DD (several: comma-separated, e.g. 2027-03-04,2028-03-04)`);
    }
    if (wrong.length === 0 && dates.length > MAX_END_DATES) {
      problems.push(`${name}: at most ${MAX_END_DATES} end dates, got ${dates.length}`);
    }
    return [...new Set(dates)];
  };
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const nodeEnv = text('NODE_ENV') ?? 'development';
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  // The scheme the KurrentDB clients use; ours (@eventstore/db-client) refuses it at connect time.
  const kurrentScheme = /^kurrentdb(\+discover)?:/i.test(text('EVENTSTORE_URL') ?? '');
  if (kurrentScheme) {
    problems.push(
      'EVENTSTORE_URL: kurrentdb:// is not read by the EventStoreDB client this service uses; write the same ' +
        'connection string with esdb:// (esdb+discover:// for a cluster): KurrentDB servers accept it',
    );
  }
  const eventStoreUrl = kurrentScheme ? undefined : url('EVENTSTORE_URL', EVENTSTORE_URL_SCHEMES);
  const jwksUrl = url('AUTH_JWKS_URL', ['https:', 'http:']);
  const devSecret = text('AUTH_DEV_SECRET');
  if (devSecret !== undefined && devSecret.length < 32) {
    problems.push('AUTH_DEV_SECRET must be at least 32 characters');
  }
  const nrnHashKey = text('NRN_HASH_KEY');
  if (nrnHashKey !== undefined && nrnHashKey.length < 32) problems.push('NRN_HASH_KEY must be at least 32 characters');
  if (nodeEnv === 'production' && !nrnHashKey) {
    problems.push('NODE_ENV=production needs NRN_HASH_KEY, kept with your other secrets: losing it breaks uniqueness');
  }
  const personalDataKey = text('PERSONAL_DATA_KEY');
  if (personalDataKey !== undefined && personalDataKey.length < 32) problems.push('PERSONAL_DATA_KEY must be at least 32 characters');
  if (nodeEnv === 'production' && !personalDataKey) {
    problems.push('NODE_ENV=production needs PERSONAL_DATA_KEY, kept with your other secrets: losing it makes all personal data unreadable');
  }
  if (nodeEnv === 'production' && !databaseUrl) {
    problems.push('NODE_ENV=production needs DATABASE_URL: the embedded PostgreSQL is for development and demos (the service image has none)');
  }
  if (nodeEnv === 'production' && !jwksUrl) {
    problems.push('NODE_ENV=production needs AUTH_JWKS_URL: locally signed tokens are for the embedded default only');
  }
  const timeZone = text('TZ_BUSINESS') ?? 'Europe/Brussels';
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
  } catch {
    problems.push(`TZ_BUSINESS "${timeZone}" is not a known time zone`);
  }
  const protectionEndDates = endDates();
  const projectionsSetting = (text('PROJECTIONS_IN_PROCESS') ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(projectionsSetting)) problems.push('PROJECTIONS_IN_PROCESS must be true or false');
  const dateDuration = (name: string, fallback: string): string => {
    const value = text(name) ?? fallback;
    if (!isDateDuration(value)) {
      problems.push(`${name} must be an ISO 8601 duration in years, months, weeks or days such as P5Y, P1Y6M or P30D, got "${value}"`);
    }
    return value;
  };
  const archiveRetention = dateDuration('ARCHIVE_RETENTION', 'P5Y');
  const idempotencyRetention = dateDuration('IDEMPOTENCY_RETENTION', 'P30D');
  const logLevel = (text('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = (text('LOG_FORMAT') ?? 'auto').toLowerCase() as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) problems.push(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}`);
  const corsOrigins = (text('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an origin such as https://crt.example.be`);
  }
  const behindTls = (text('BEHIND_TLS') ?? 'false').toLowerCase();
  if (!['true', 'false'].includes(behindTls)) problems.push('BEHIND_TLS must be true or false');
  const oidcIssuer = url('AUTH_OIDC_ISSUER', ['https:', 'http:']);
  const oidcClientId = text('AUTH_OIDC_CLIENT_ID');
  if ((oidcIssuer === undefined) !== (oidcClientId === undefined)) problems.push('AUTH_OIDC_ISSUER and AUTH_OIDC_CLIENT_ID go together: set both or neither');
  if (oidcIssuer && !jwksUrl) problems.push('AUTH_OIDC_ISSUER needs AUTH_JWKS_URL: the service must verify the tokens the provider issues');
  const projectionSpillDir = resolve(text('PROJECTION_SPILL_DIR') ?? tmpdir());
  try {
    if (!statSync(projectionSpillDir).isDirectory()) throw new Error('not a directory');
    accessSync(projectionSpillDir, constants.W_OK | constants.X_OK);
  } catch {
    problems.push(`PROJECTION_SPILL_DIR must be a directory the service can write to, got "${projectionSpillDir}"`);
  }
  const bodyLimit = text('BODY_LIMIT') ?? '64kb';
  if (!/^\d+(b|kb|mb)$/i.test(bodyLimit)) problems.push('BODY_LIMIT must look like 64kb or 1mb');

  const config: AppConfig = {
    nodeEnv,
    port: integer('PORT', 3000, 0, 65535),
    host: text('HOST') ?? '127.0.0.1',
    embeddedPostgresPort: integer('EMBEDDED_POSTGRES_PORT', 0, 0, 65535),
    dataDir: resolve(text('DATA_DIR') ?? '.data'),
    databaseUrl,
    eventStoreUrl,
    auth: {
      jwksUrl,
      issuer: text('AUTH_ISSUER') ?? 'urn:ukraine-tp-dossiers:dev',
      audience: text('AUTH_AUDIENCE') ?? 'ukraine-tp-dossiers',
      devSecret,
      rolesClaim: text('AUTH_ROLES_CLAIM') ?? 'roles',
      oidc: oidcIssuer && oidcClientId ? { issuer: oidcIssuer, clientId: oidcClientId, scope: text('AUTH_OIDC_SCOPE') ?? 'openid' } : undefined,
    },
    timeZone,
    commandRetries: integer('COMMAND_RETRIES', 20, 0, 1000),
    bodyLimit,
    protectionEndDates,
    projectionsInProcess: projectionsSetting !== 'false',
    projectionBatchSize: integer('PROJECTION_BATCH_SIZE', DEFAULT_PROJECTION_BATCH_SIZE, 1, 10_000),
    projectionMemoryRows: integer('PROJECTION_MEMORY_ROWS', DEFAULT_PROJECTION_MEMORY_ROWS, 1, 10_000_000),
    projectionSpillDir,
    nrnHashKey,
    personalDataKey,
    archiveRetention,
    idempotencyRetention,
    logLevel,
    logFormat,
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    corsOrigins,
    behindTls: behindTls === 'true',
    readyMaxProjectionLagSeconds: integer('READY_MAX_PROJECTION_LAG_SECONDS', 300, 1, 86_400),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

// Building a formatter costs far more than formatting with it, and every command asks for today.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Today's calendar date in the given zone, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(now);
}
