import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, todayIn } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      eventStoreUrl: undefined,
      timeZone: 'Europe/Brussels',
      commandRetries: 20,
      bodyLimit: '64kb',
      protectionEndDates: ['2027-03-04'],
      logFormat: 'auto',
      archiveRetention: 'P5Y',
      auth: { issuer: 'urn:ukraine-tp-dossiers:dev', audience: 'ukraine-tp-dossiers', rolesClaim: 'roles' },
    });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('names every bad setting at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        EVENTSTORE_URL: 'not a url',
        AUTH_DEV_SECRET: 'short',
        TZ_BUSINESS: 'Mars/Olympus',
        PROTECTION_END_DATE: '4 March 2026',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'EVENTSTORE_URL', 'AUTH_DEV_SECRET', 'TZ_BUSINESS', 'PROTECTION_END_DATE']) {
      expect(problems).toContain(name);
    }
  });

  it('refuses production without an identity provider, an NRN hash key, a personal-data key and a PostgreSQL of its own', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV=production needs DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NRN_HASH_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PERSONAL_DATA_KEY/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://dossiers@db.internal:5432/dossiers',
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        NRN_HASH_KEY: 'a-key-that-is-long-enough-for-production-use',
        PERSONAL_DATA_KEY: 'another-key-that-is-long-enough-for-production',
      }),
    ).not.toThrow();
  });

  it('says upgrade-insecure-requests only behind TLS', () => {
    expect(loadConfig({}).behindTls).toBe(false);
    expect(loadConfig({ BEHIND_TLS: 'true' }).behindTls).toBe(true);
    expect(() => loadConfig({ BEHIND_TLS: 'yes' })).toThrow(/BEHIND_TLS must be true or false/);
  });

  it('signs the dashboard in with an OIDC provider only given both its issuer and client id, and the JWKS to verify its tokens', () => {
    expect(loadConfig({}).auth.oidc).toBeUndefined();
    const jwks = { AUTH_JWKS_URL: 'https://idp.example/jwks' };
    expect(loadConfig({ ...jwks, AUTH_OIDC_ISSUER: 'https://idp.example/realms/agii', AUTH_OIDC_CLIENT_ID: 'dashboard' }).auth.oidc).toEqual({
      issuer: 'https://idp.example/realms/agii',
      clientId: 'dashboard',
      scope: 'openid',
    });
    const scoped = { ...jwks, AUTH_OIDC_ISSUER: 'https://idp.example', AUTH_OIDC_CLIENT_ID: 'dashboard', AUTH_OIDC_SCOPE: 'openid api://dossiers/read' };
    expect(loadConfig(scoped).auth.oidc?.scope).toBe('openid api://dossiers/read');
    expect(() => loadConfig({ ...jwks, AUTH_OIDC_ISSUER: 'https://idp.example/realms/agii' })).toThrow(/AUTH_OIDC_ISSUER and AUTH_OIDC_CLIENT_ID go together/);
    expect(() => loadConfig({ ...jwks, AUTH_OIDC_CLIENT_ID: 'dashboard' })).toThrow(/AUTH_OIDC_ISSUER and AUTH_OIDC_CLIENT_ID go together/);
    expect(() => loadConfig({ AUTH_OIDC_ISSUER: 'https://idp.example', AUTH_OIDC_CLIENT_ID: 'dashboard' })).toThrow(/AUTH_OIDC_ISSUER needs AUTH_JWKS_URL/);
    expect(() => loadConfig({ ...jwks, AUTH_OIDC_ISSUER: 'idp.example', AUTH_OIDC_CLIENT_ID: 'dashboard' })).toThrow(/AUTH_OIDC_ISSUER is not a valid URL/);
  });

  it('refuses a personal-data key shorter than 32 characters', () => {
    expect(() => loadConfig({ PERSONAL_DATA_KEY: 'too-short' })).toThrow(/PERSONAL_DATA_KEY must be at least 32 characters/);
    expect(loadConfig({ PERSONAL_DATA_KEY: 'k'.repeat(32) }).personalDataKey).toBe('k'.repeat(32));
  });

  it('reads the operations settings and refuses bad ones', () => {
    expect(loadConfig({})).toMatchObject({ logLevel: 'info', rateLimitPerMinute: 600, corsOrigins: [], readyMaxProjectionLagSeconds: 300 });
    expect(loadConfig({ CORS_ORIGINS: 'https://crt.example.be, http://localhost:5173', LOG_LEVEL: 'WARN' })).toMatchObject({
      corsOrigins: ['https://crt.example.be', 'http://localhost:5173'],
      logLevel: 'warn',
    });
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of/);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS: "\*" is not an origin/);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('spills the flow statistics\' fold into the OS\'s temporary directory unless PROJECTION_SPILL_DIR names another, and refuses one the service cannot write to', () => {
    expect(loadConfig({}).projectionSpillDir).toBe(tmpdir());
    const directory = mkdtempSync(join(tmpdir(), 'spill-dir-'));
    try {
      expect(loadConfig({ PROJECTION_SPILL_DIR: directory }).projectionSpillDir).toBe(directory);
      const file = join(directory, 'a-file');
      writeFileSync(file, '');
      expect(() => loadConfig({ PROJECTION_SPILL_DIR: file })).toThrow(`PROJECTION_SPILL_DIR must be a directory the service can write to, got "${file}"`);
      expect(() => loadConfig({ PROJECTION_SPILL_DIR: join(directory, 'missing') })).toThrow(/PROJECTION_SPILL_DIR must be a directory the service can write to, got ".*missing"/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('takes the archive and idempotency-key retentions as calendar durations', () => {
    expect(loadConfig({ ARCHIVE_RETENTION: 'P1Y6M' }).archiveRetention).toBe('P1Y6M');
    expect(() => loadConfig({ ARCHIVE_RETENTION: '5 years' })).toThrow(/ARCHIVE_RETENTION must be an ISO 8601 duration/);
    expect(() => loadConfig({ ARCHIVE_RETENTION: 'PT5H' })).toThrow(ConfigError);
    expect(loadConfig({}).idempotencyRetention).toBe('P30D');
    expect(loadConfig({ IDEMPOTENCY_RETENTION: 'P2W' }).idempotencyRetention).toBe('P2W');
    expect(() => loadConfig({ IDEMPOTENCY_RETENTION: '30 days' })).toThrow(/IDEMPOTENCY_RETENTION must be an ISO 8601 duration/);
  });

  it('accepts EventStoreDB and PostgreSQL URLs', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', EVENTSTORE_URL: 'esdb://es:2113?tls=false' });
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/x');
    expect(config.eventStoreUrl).toBe('esdb://es:2113?tls=false');
    expect(loadConfig({ EVENTSTORE_URL: 'esdb+discover://cluster.example:2113' }).eventStoreUrl).toBe('esdb+discover://cluster.example:2113');
  });

  it('refuses kurrentdb:// connection strings, which the EventStoreDB client cannot open, and says what to write', () => {
    for (const url of ['kurrentdb://es:2113?tls=false', 'kurrentdb+discover://a:2113,b:2113']) {
      expect(() => loadConfig({ EVENTSTORE_URL: url })).toThrow(/EVENTSTORE_URL: kurrentdb:\/\/ is not read .* with esdb:\/\//);
    }
    expect(() => loadConfig({ EVENTSTORE_URL: 'https://es:2113' })).toThrow(/EVENTSTORE_URL must start with esdb:\/\/ or esdb\+discover:\/\//);
  });

  describe('end dates of temporary protection', () => {
    it('defaults to the last extension, 4 March 2027', () => {
      expect(loadConfig({}).protectionEndDates).toEqual(['2027-03-04']);
    });

    it('takes several scenarios from PROTECTION_END_DATES, in their order', () => {
      expect(loadConfig({ PROTECTION_END_DATES: '2027-03-04, 2026-03-04,2028-03-04' }).protectionEndDates).toEqual(['2027-03-04', '2026-03-04', '2028-03-04']);
    });

    it('still accepts the single PROTECTION_END_DATE of earlier versions, but not both settings at once', () => {
      expect(loadConfig({ PROTECTION_END_DATE: '2026-03-04' }).protectionEndDates).toEqual(['2026-03-04']);
      expect(() => loadConfig({ PROTECTION_END_DATE: '2026-03-04', PROTECTION_END_DATES: '2027-03-04' })).toThrow(/both set/);
    });

    it.each([
      ['PROTECTION_END_DATE', '2027-02-30'],
      ['PROTECTION_END_DATES', '2027-03-04,2027-02-30'],
      ['PROTECTION_END_DATES', '4 March 2027'],
      ['PROTECTION_END_DATES', '2027-3-4'],
      ['PROTECTION_END_DATES', '2027-03-04;2028-03-04'],
    ])('refuses %s=%s, naming the setting and the date', (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: ".*" is not a calendar date`));
    });

    it('refuses more end dates than an outlook answers', () => {
      const thirteen = Array.from({ length: 13 }, (_, i) => `${2027 + i}-03-04`).join(',');
      expect(() => loadConfig({ PROTECTION_END_DATES: thirteen })).toThrow(/PROTECTION_END_DATES: at most 12 end dates, got 13/);
    });
  });

  it('reads the log format: auto by default, json or pretty when asked', () => {
    expect(loadConfig({ LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be one of auto, json, pretty/);
  });
});

describe('todayIn', () => {
  it('decides the calendar day in the given zone, not in UTC', () => {
    const lateEveningUtc = new Date('2026-03-03T23:30:00Z');
    expect(todayIn('Europe/Brussels', lateEveningUtc)).toBe('2026-03-04');
    expect(todayIn('UTC', lateEveningUtc)).toBe('2026-03-03');
  });
});
