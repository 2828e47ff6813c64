import { Writable } from 'node:stream';
import { signDevToken } from '../libs/platform/src';
import { DossierApi, expectProblem, expectStatus, nationalRegisterNumber, PURPOSE, registrationBody } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

/** What whoever runs the service relies on: logs, metrics, readiness, security headers, CORS, rate limits. */
describe(`operations (${onPostgresStore() ? 'postgres' : 'eventstoredb'} store)`, () => {
  // Lag and readiness are asserted at a standstill, which another spec file appending to a shared log would break.
  describe('logs and metrics', () => {
    let eventStore: SuiteEventStore | undefined;
    let testApp: TestApp;
    let staff: DossierApi;
    const lines: string[] = [];
    const person = {
      givenName: 'Zoreslava',
      familyName: 'Kvitneva-Oplachko',
      birthDate: '1937-02-11',
      nationalRegisterNumber: nationalRegisterNumber('1937-02-11', 417),
    };
    const attestationNumber = 'TB-1937-7777123';
    const correlationId = 'ops-correlation-0001';

    beforeAll(async () => {
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
          done();
        },
      });
      eventStore = await eventStoreOfItsOwn();
      testApp = await startTestApp({ LOG_LEVEL: 'info', ...eventStore.env }, { logDestination: destination });
      staff = new DossierApi(testApp, await testApp.token('staff', 'ops-staff'));
    });
    afterAll(async () => {
      await testApp?.close();
      await eventStore?.stop();
    });

    it('logs one JSON line per request with its correlation id, and no personal data anywhere', async () => {
      const registered = await staff.register(registrationBody({ person, protection: { attestationNumber } }), { 'X-Correlation-Id': correlationId });
      expectStatus(registered, 201);
      const dossierId = registered.body.dossierId as string;
      await waitForProjections(testApp);
      expectStatus(await staff.get(dossierId), 200);
      expectStatus(await staff.history(dossierId), 200);
      const search = await testApp
        .http()
        .get('/dossiers')
        .query({ q: person.familyName })
        .set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
      expectStatus(search, 200);
      // Refused input that itself holds personal data.
      const refused = await staff.register(registrationBody({ person: { ...person, birthDate: '1937-02-30' } }));
      expectProblem(refused, 400, 'validation-failed');
      expectStatus(await testApp.http().get(`/dossiers/${dossierId}/nope?name=${person.givenName}`).set('Authorization', `Bearer ${staff.token}`), 404);

      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const registration = entries.find((entry) => entry.correlationId === correlationId);
      expect(registration).toMatchObject({
        level: 30,
        actor: 'ops-staff',
        req: { method: 'POST', path: '/dossiers' },
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
      });
      expect(entries.find((entry) => (entry.req as { path?: string })?.path === '/dossiers' && (entry.req as { method?: string }).method === 'GET')).toBeDefined();
      // Every key once per line: log processors (Elasticsearch, Cloud Logging) reject or merge duplicates.
      for (const line of lines) {
        const keys = [...line.matchAll(/[{,]"([A-Za-z]+)":/g)].map((match) => match[1]);
        expect({ line, duplicates: keys.filter((key, index) => keys.indexOf(key) !== index) }).toEqual({ line, duplicates: [] });
      }
      const everything = lines.join('\n');
      for (const value of [person.givenName, person.familyName, person.nationalRegisterNumber, person.birthDate, '1937-02-30', attestationNumber]) {
        expect({ value, found: everything.includes(value) }).toEqual({ value, found: false });
      }
      // The correlation id reaches the events the request recorded.
      expect((await staff.history(dossierId)).body.events[0].correlationId).toBe(correlationId);
    });

    it('publishes Prometheus metrics by route template and command, without ids or names', async () => {
      const dossierId = await staff.registered();
      await staff.recorded(dossierId, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-01' });
      expectStatus(await staff.command(dossierId, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-02' }), 409);
      await waitForProjections(testApp);
      const response = await testApp.http().get('/metrics');
      expectStatus(response, 200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const text = response.text;
      expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/dossiers",status="201"\} [1-9]/);
      expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/dossiers\/:id\/housed",status="409"\} 1/);
      expect(text).toMatch(/dossier_commands_total\{command="register",outcome="accepted"\} [1-9]/);
      expect(text).toMatch(/dossier_commands_total\{command="housed",outcome="rejected"\} 1/);
      expect(text).toMatch(/event_store_appended_events_total [1-9]/);
      expect(text).toMatch(/event_store_errors_total\{operation="append",kind="wrong-expected-version"\} |# TYPE event_store_errors_total counter/);
      expect(text).toMatch(/projection_lag_events\{projection="crt-registry"\} 0/);
      expect(text).toMatch(/projection_position\{projection="flow-statistics"\} \d+/);
      expect(text).toMatch(/process_resident_memory_bytes \d+/);
      expect(text).not.toContain(dossierId);
      expect(text).not.toContain(person.familyName);
    });

    it('is ready when the database, the event store and the projections are', async () => {
      await waitForProjections(testApp);
      const ready = await testApp.http().get('/health/ready');
      expectStatus(ready, 200);
      expect(ready.body.details.projections).toMatchObject({ status: 'up', maxLagSeconds: 300, 'crt-registry': { state: 'live' } });
    });

    it('sends security headers and no CORS headers by default', async () => {
      const response = await testApp.http().get('/health/live').set('Origin', 'https://evil.example');
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'content-security-policy': expect.stringContaining("default-src 'self'"),
        'strict-transport-security': expect.any(String),
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await testApp.http().options('/dossiers').set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('CORS for configured origins, and the rate limit', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp({ CORS_ORIGINS: 'https://crt.example.be', RATE_LIMIT_PER_MINUTE: '5' });
    });
    afterAll(() => testApp?.close());

    it('lets the configured origin call, and no other', async () => {
      const allowed = await testApp
        .http()
        .options('/dossiers')
        .set({ Origin: 'https://crt.example.be', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' });
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://crt.example.be');
      const other = await testApp.http().options('/dossiers').set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers 429 problem+json with Retry-After past RATE_LIMIT_PER_MINUTE, per user; health is not limited', async () => {
      const token = await testApp.token('analyst', 'busy-analyst');
      const ask = (bearer: string) =>
        testApp.http().get('/statistics/stock').query({ asOf: '2022-06-01' }).set('Authorization', `Bearer ${bearer}`);
      for (let i = 0; i < 5; i++) expectStatus(await ask(token), 200);
      const limited = await ask(token);
      const body = expectProblem(limited, 429, 'too-many-requests');
      expect(body.detail).toMatch(/More than 5 requests in a minute/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expectStatus(await ask(await testApp.token('analyst', 'calm-analyst')), 200);
      for (let i = 0; i < 8; i++) expectStatus(await testApp.http().get('/health/live'), 200);
    });

    it('counts requests without a valid token per address, before authentication: 429 past the limit, not 401', async () => {
      const ask = (authorization?: string) => {
        const request = testApp.http().get('/statistics/stock').query({ asOf: '2022-06-01' });
        return authorization === undefined ? request : request.set('Authorization', authorization);
      };
      const forged = await signDevToken({ ...testApp.config, auth: { ...testApp.config.auth, devSecret: 'another-secret-that-is-long-enough-to-sign' } }, {
        subject: 'busy-analyst',
        roles: ['analyst'],
      });
      const withoutValidToken = [undefined, 'Bearer not-a-token', `Bearer ${forged}`, 'Basic YWxpY2U6c2VjcmV0', undefined];
      for (const authorization of withoutValidToken) expectProblem(await ask(authorization), 401);
      for (const authorization of withoutValidToken) {
        const limited = expectProblem(await ask(authorization), 429, 'too-many-requests');
        expect(limited.detail).toMatch(/More than 5 requests in a minute/);
      }
      // A valid token counts against its user, whatever address the others came from.
      expectStatus(await ask(`Bearer ${await testApp.token('analyst', 'unhurried-analyst')}`), 200);
    });
  });
});
