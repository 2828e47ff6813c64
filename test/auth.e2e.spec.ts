import { SignJWT } from 'jose';
import {
  COMMANDS,
  commandBody,
  DossierApi,
  expectNothingAppended,
  expectProblem,
  expectStatus,
  queryDatabase,
  registrationBody,
} from './support/dossier-fixtures';
import { startTestApp, TEST_DEV_SECRET, type TestApp } from './support/test-app';
import { onPostgresStore } from './support/event-store-under-test';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Bearer tokens on every endpoint but health and docs: 401 for a missing or bad token (expired,
 * wrong signature, unsigned, wrong issuer or audience), 403 for a role that may not do it.
 */
describe('authentication and roles', () => {
  let testApp: TestApp;
  let staff: DossierApi;
  let dossierId: string;
  const secret = new TextEncoder().encode(TEST_DEV_SECRET);

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    dossierId = await staff.registered();
    await staff.recorded(dossierId, 'housed', commandBody('housed', '2022-04-01'));
  });
  afterAll(() => testApp.close());

  interface TokenOptions {
    issuer?: string;
    audience?: string;
    expiresAt?: number;
    roles?: unknown;
    subject?: string | null;
    key?: Uint8Array;
    alg?: string;
  }

  /** A token like the service's own, with one thing changed. */
  function sign(options: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { auth } = testApp.config;
    const jwt = new SignJWT({ [auth.rolesClaim]: options.roles ?? ['staff'] })
      .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
      .setIssuer(options.issuer ?? auth.issuer)
      .setAudience(options.audience ?? auth.audience)
      .setIssuedAt(now - 60)
      .setExpirationTime(options.expiresAt ?? now + 3600);
    if (options.subject !== null) jwt.setSubject(options.subject ?? 'mallory');
    return jwt.sign(options.key ?? secret);
  }

  /** Number of streams in the store (PostgreSQL only; -1 on EventStoreDB). */
  async function countStreams(): Promise<number> {
    if (!onPostgresStore()) return -1;
    const [row] = await queryDatabase<{ n: number }>(testApp.databaseUrl, 'SELECT count(DISTINCT stream_id)::int AS n FROM event_store.events');
    return row.n;
  }

  /** Every dossier endpoint, with a body that would be accepted (or rule-checked) for staff. */
  const endpoints = () => [
    { name: 'POST /dossiers', send: (api: DossierApi) => api.register(registrationBody()) },
    ...COMMANDS.map((command) => ({
      name: `POST /dossiers/{id}/${command}`,
      send: (api: DossierApi) => api.command(dossierId, command, commandBody(command, '2023-01-01')),
    })),
    { name: 'GET /dossiers/{id}', send: (api: DossierApi) => api.get(dossierId) },
    { name: 'GET /dossiers/{id}/history', send: (api: DossierApi) => api.history(dossierId) },
  ];

  describe('401', () => {
    it('no token: 401 with WWW-Authenticate: Bearer on every dossier endpoint', async () => {
      const anonymous = testApp.http();
      for (const response of [
        await anonymous.get(`/dossiers/${dossierId}`),
        await testApp.http().get(`/dossiers/${dossierId}/history`),
        await testApp.http().post('/dossiers').send(registrationBody()),
        await testApp.http().post(`/dossiers/${dossierId}/rehoused`).send(commandBody('rehoused', '2023-01-01')),
      ]) {
        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });

    it('a scheme other than Bearer, or an empty bearer: 401', async () => {
      for (const authorization of ['Basic YWxpY2U6c2VjcmV0', 'Bearer', 'Bearer ', `Token ${staff.token}`, staff.token]) {
        const response = await testApp.http().get(`/dossiers/${dossierId}`).set('Authorization', authorization);
        expectProblem(response, 401);
      }
    });

    it('the reference token signed here is accepted (so the refusals below are about what was changed)', async () => {
      expectStatus(await staff.as(await sign()).get(dossierId), 200);
      expectStatus(await staff.as(await sign({ alg: 'HS256' })).history(dossierId), 200);
    });

    it('an expired token: 401 saying it expired, and nothing appended', async () => {
      const expired = await sign({ expiresAt: Math.floor(Date.now() / 1000) - 120 });
      const api = staff.as(expired);
      const problem = expectProblem(await api.get(dossierId), 401);
      expect(problem.detail).toMatch(/expired/);
      expect(problem.reason).toBe('expired');
      const response = await expectNothingAppended(staff, dossierId, () =>
        api.command(dossierId, 'vdab-registered', { on: '2023-01-01' }),
      );
      expectProblem(response, 401);
    });

    it('a token signed with another secret (another DATA_DIR): 401 saying so', async () => {
      const forged = await sign({ key: new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256!!') });
      const problem = expectProblem(await staff.as(forged).get(dossierId), 401, 'invalid-token');
      expect(problem.reason).toBe('signature');
      expect(problem.detail).toMatch(/signature does not match this service's key.*same DATA_DIR as the service/);
      const response = await expectNothingAppended(staff, dossierId, () =>
        staff.as(forged).command(dossierId, 'vdab-registered', { on: '2023-01-01' }),
      );
      expectProblem(response, 401);
    });

    it('a token whose payload was altered after signing: 401', async () => {
      const [header, , signature] = (await sign({ roles: ['analyst'] })).split('.');
      const payload = base64url({
        sub: 'mallory',
        roles: ['admin'],
        iss: testApp.config.auth.issuer,
        aud: testApp.config.auth.audience,
        exp: Math.floor(Date.now() / 1000) + 3600,
      });
      expectProblem(await staff.as(`${header}.${payload}.${signature}`).get(dossierId), 401);
    });

    it('an unsigned token (alg: none): 401, with or without a trailing signature', async () => {
      const header = base64url({ alg: 'none', typ: 'JWT' });
      const payload = base64url({
        sub: 'mallory',
        roles: ['admin'],
        iss: testApp.config.auth.issuer,
        aud: testApp.config.auth.audience,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
      });
      for (const token of [`${header}.${payload}.`, `${header}.${payload}`, `${header}.${payload}.c2lnbmF0dXJl`]) {
        expectProblem(await staff.as(token).get(dossierId), 401);
      }
      const response = await expectNothingAppended(staff, dossierId, () =>
        staff.as(`${header}.${payload}.`).command(dossierId, 'vdab-registered', { on: '2023-01-01' }),
      );
      expectProblem(response, 401);
    });

    it('a token with another HMAC algorithm than HS256 (HS512, same secret): 401', async () => {
      expectProblem(await staff.as(await sign({ alg: 'HS512' })).get(dossierId), 401);
    });

    it('a wrong issuer: 401', async () => {
      expectProblem(await staff.as(await sign({ issuer: 'https://evil.example/realms/x' })).get(dossierId), 401);
    });

    it('a wrong audience: 401', async () => {
      expectProblem(await staff.as(await sign({ audience: 'another-service' })).get(dossierId), 401);
    });

    it('a token without a subject: 401 (nobody to record as actor)', async () => {
      expectProblem(await staff.as(await sign({ subject: null })).get(dossierId), 401);
    });

    it('BUG: a token with an empty subject: 401 (events would be recorded with actor "")', async () => {
      const anonymous = staff.as(await sign({ subject: '' }));
      expectProblem(await anonymous.get(dossierId), 401);
      const response = await expectNothingAppended(staff, dossierId, () =>
        anonymous.command(dossierId, 'vdab-registered', { on: '2023-01-01' }),
      );
      expectProblem(response, 401);
    });

    it.each([
      ['U+0000', 'a\u0000b'],
      ['a lone high surrogate', 'x\ud83d'],
      ['a lone low surrogate', '\ude00x'],
      ['an escape sequence', '\u001b[31mroot'],
      ['300 characters', 'a'.repeat(300)],
    ])('a token whose subject holds %s: 401 invalid-token, nothing appended, nothing in the access log', async (_, subject) => {
      const forged = staff.as(await sign({ subject, roles: ['staff', 'auditor'] }));
      const read = expectProblem(await forged.get(dossierId), 401, 'invalid-token');
      expect(read.detail).toMatch(/subject/);
      const response = await expectNothingAppended(staff, dossierId, () => forged.command(dossierId, 'vdab-registered', { on: '2023-01-01' }));
      expectProblem(response, 401, 'invalid-token');
      const logged = await queryDatabase<{ n: number }>(testApp.databaseUrl, 'SELECT count(*)::int AS n FROM access_log WHERE actor = $1', [
        subject.replace(/\u0000/g, ''),
      ]);
      expect(logged[0].n).toBe(0);
    });

    it('garbage: 401, never 500', async () => {
      for (const token of ['x', 'a.b.c', '....', `${'A'.repeat(4000)}.${'B'.repeat(4000)}.C`]) {
        expectProblem(await staff.as(token).get(dossierId), 401);
      }
    });
  });

  describe('403 by role', () => {
    it('analyst: 403 on every dossier endpoint, GET and POST, and nothing appended', async () => {
      const analyst = staff.as(await testApp.token('analyst', 'ann'));
      const streamsBefore = await countStreams();
      for (const endpoint of endpoints()) {
        const response = await expectNothingAppended(staff, dossierId, () => endpoint.send(analyst));
        expectProblem(response, 403, 'forbidden');
        expect(response.text).not.toContain('Kovalenko'); // no personal data in the refusal
      }
      expect(await countStreams()).toBe(streamsBefore); // the registration created nothing either
    });

    it('auditor: may read the dossier and its history', async () => {
      const auditor = staff.as(await testApp.token('auditor', 'audrey'));
      const dossier = await auditor.get(dossierId);
      expectStatus(dossier, 200);
      expect(dossier.body.dossierId).toBe(dossierId);
      const history = await auditor.history(dossierId);
      expectStatus(history, 200);
      expect(history.body.events.length).toBeGreaterThanOrEqual(2);
    });

    it('auditor: 403 on every command, nothing appended', async () => {
      const auditor = staff.as(await testApp.token('auditor', 'audrey'));
      for (const endpoint of endpoints().filter((e) => e.name.startsWith('POST'))) {
        const response = await expectNothingAppended(staff, dossierId, () => endpoint.send(auditor));
        expectProblem(response, 403, 'forbidden');
      }
    });

    it('auditor: a registration is refused and creates no dossier', async () => {
      const auditor = staff.as(await testApp.token('auditor', 'audrey'));
      const streamsBefore = await countStreams();
      const response = await auditor.register(registrationBody());
      expectProblem(response, 403);
      expect(await countStreams()).toBe(streamsBefore);
      expect(response.headers.location).toBeUndefined();
    });

    it('admin: may do what staff does', async () => {
      const admin = staff.as(await testApp.token('admin', 'root'));
      const id = await admin.registered();
      await admin.recorded(id, 'housed', commandBody('housed', '2022-04-01'));
      expectStatus(await admin.get(id), 200);
      expectStatus(await admin.history(id), 200);
    });

    it('a valid token with no known role: 403', async () => {
      for (const roles of [[], ['superuser'], 'guest']) {
        const api = staff.as(await sign({ roles }));
        expectProblem(await api.get(dossierId), 403);
        expectProblem(await api.command(dossierId, 'vdab-registered', { on: '2023-01-01' }), 403);
      }
    });

    it('roles given as a space-separated string are understood', async () => {
      expectStatus(await staff.as(await sign({ roles: 'analyst staff' })).get(dossierId), 200);
    });

    it('the guard runs before validation: an analyst gets 403, not 400, for a bad body', async () => {
      const analyst = staff.as(await testApp.token('analyst', 'ann'));
      expectProblem(await analyst.command(dossierId, 'housed', { nonsense: true }), 403);
      expectProblem(await testApp.http().post(`/dossiers/${dossierId}/housed`).send({ nonsense: true }), 401);
    });
  });

  describe('public endpoints', () => {
    it('/health/ready and /health/live need no token', async () => {
      const ready = await testApp.http().get('/health/ready');
      expectStatus(ready, 200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, eventStore: { status: 'up' }, projections: { status: 'up' } },
      });
      expectStatus(await testApp.http().get('/health/live'), 200);
    });

    it('/health/ready ignores a bad token rather than refusing', async () => {
      expectStatus(await testApp.http().get('/health/ready').set('Authorization', 'Bearer garbage'), 200);
    });

    it('/docs serves the API documentation without a token', async () => {
      const docs = await testApp.http().get('/docs');
      expectStatus(docs, 200);
      expect(docs.headers['content-type']).toMatch(/text\/html/);
      expect(docs.text).toMatch(/swagger/i);
    });

    it('/docs/openapi.json lists every dossier path and operation', async () => {
      const response = await testApp.http().get('/docs/openapi.json');
      expectStatus(response, 200);
      const spec = response.body as { openapi: string; paths: Record<string, Record<string, unknown>>; components?: Record<string, unknown> };
      expect(spec.openapi).toMatch(/^3\./);
      expect(spec.paths['/dossiers']).toHaveProperty('post');
      expect(spec.paths['/dossiers/{id}']).toHaveProperty('get');
      expect(spec.paths['/dossiers/{id}/history']).toHaveProperty('get');
      for (const command of COMMANDS) {
        expect(spec.paths[`/dossiers/{id}/${command}`]).toHaveProperty('post');
      }
      expect(spec.paths['/health/ready']).toHaveProperty('get');
      // Bearer auth is declared, so clients know to send the token.
      expect(JSON.stringify(spec.components ?? {})).toMatch(/bearer/i);
    });
  });
});
