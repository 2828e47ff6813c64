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

  it('refuses production without an identity provider and an NRN hash key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NRN_HASH_KEY/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        NRN_HASH_KEY: 'a-key-that-is-long-enough-for-production-use',
      }),
    ).not.toThrow();
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
