import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { DossierApi, PURPOSE } from './support/dossier-fixtures';
import { MATRIX_ROLES, renderRoleMatrix, ROLE_MATRIX, type MatrixEntry } from './support/role-matrix';
import { startTestApp, TEST_DEV_SECRET, type TestApp } from './support/test-app';

/**
 * Every endpoint × every role, plus no token, an expired token, a wrong signature and an unsigned
 * token, against the documented matrix; and the matrix covers every route the API publishes.
 */
describe('role matrix', () => {
  let testApp: TestApp;
  let dossierId: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    dossierId = await new DossierApi(testApp, await testApp.token('staff', 'alice')).registered();
  });
  afterAll(() => testApp.close());

  const concrete = (path: string) =>
    path
      .replace('{id}', dossierId)
      .replace('{nis}', '11002')
      .replace('{name}', 'crt-registry')
      .replace('{runId}', '00000000-0000-4000-8000-000000000000')
      .replace('{slug}', 'version-mismatch');

  function send(entry: MatrixEntry, token?: string) {
    const url = concrete(entry.path);
    const request =
      entry.method === 'GET' ? testApp.http().get(url) : entry.method === 'PUT' ? testApp.http().put(url) : testApp.http().post(url);
    if (token) request.set('Authorization', `Bearer ${token}`);
    request.set('X-Purpose', PURPOSE);
    return entry.method === 'GET' ? request : request.send(entry.path === '/statistics/settings' ? { suppressBelow: 5 } : {});
  }

  const badTokens = async (): Promise<Record<string, string>> => {
    const { issuer, audience } = testApp.config.auth;
    const now = Math.floor(Date.now() / 1000);
    const signed = (secret: string, exp: number) =>
      new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory')
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now - 7200)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const base64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return {
      expired: await signed(TEST_DEV_SECRET, now - 60),
      'wrong signature': await signed('another-secret-that-is-long-enough-for-hs256', now + 3600),
      'alg none': `${base64({ alg: 'none', typ: 'JWT' })}.${base64({ sub: 'mallory', roles: ['admin'], iss: issuer, aud: audience, exp: now + 3600 })}.`,
    };
  };

  it.each(ROLE_MATRIX.map((entry) => [`${entry.method} ${entry.path}`, entry] as const))('%s', async (_, entry) => {
    for (const role of MATRIX_ROLES) {
      const response = await send(entry, await testApp.token(role));
      const allowed = entry.roles === 'public' || entry.roles.includes(role);
      if (allowed) {
        expect({ role, refused: [401, 403].includes(response.status) }).toEqual({ role, refused: false });
      } else {
        expect({ role, status: response.status, type: response.body.type }).toEqual({ role, status: 403, type: '/problems/forbidden' });
      }
    }
    const anonymous = await send(entry);
    if (entry.roles === 'public') {
      expect([200, 503]).toContain(anonymous.status);
    } else {
      expect(anonymous.status).toBe(401);
      for (const [kind, token] of Object.entries(await badTokens())) {
        const response = await send(entry, token);
        expect({ kind, status: response.status }).toEqual({ kind, status: 401 });
      }
    }
  });

  it('covers every route the API publishes', async () => {
    const document = (await testApp.http().get('/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const published = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const documented = ROLE_MATRIX.map((entry) => `${entry.method} ${entry.path}`);
    expect([...published].sort()).toEqual([...documented].sort());
  });

  it('is the matrix the README publishes', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(renderRoleMatrix());
  });
});
