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
      protectionEndDate: '2026-03-04',
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

  it('refuses production without an identity provider, an NRN hash key and a personal-data key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NRN_HASH_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PERSONAL_DATA_KEY/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        NRN_HASH_KEY: 'a-key-that-is-long-enough-for-production-use',
        PERSONAL_DATA_KEY: 'another-key-that-is-long-enough-for-production',
      }),
    ).not.toThrow();
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
  });
});

describe('todayIn', () => {
  it('decides the calendar day in the given zone, not in UTC', () => {
    const lateEveningUtc = new Date('2026-03-03T23:30:00Z');
    expect(todayIn('Europe/Brussels', lateEveningUtc)).toBe('2026-03-04');
    expect(todayIn('UTC', lateEveningUtc)).toBe('2026-03-03');
  });
});
