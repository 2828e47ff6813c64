import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/**
 * A minimal OpenID Connect provider for the browser tests, built on jose: discovery, an
 * authorization endpoint with a login page (pick a user), a token endpoint that insists on PKCE
 * (S256), and the JWKS the service verifies its access tokens with (AUTH_JWKS_URL). Public
 * clients only, as the dashboard is one. It records what it was asked, so a test can check the
 * flow as well as its outcome.
 */

export interface TestUser {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
}

export interface TestOidcProvider {
  /** http://127.0.0.1:<port>: its issuer and origin. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly clientId: string;
  /** The query of every authorization request. */
  readonly authorizations: URLSearchParams[];
  /** Every token request, with whether its code_verifier matched the code_challenge. */
  readonly tokenRequests: Array<{ form: URLSearchParams; pkceMatched: boolean }>;
  close(): Promise<void>;
}

interface PendingCode {
  readonly user: TestUser;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string | null;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

async function formOf(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(options: { clientId: string; audience: string; rolesClaim?: string; users: readonly TestUser[] }): Promise<TestOidcProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const pendingLogins = new Map<string, URLSearchParams>();
  const authorizations: URLSearchParams[] = [];
  const tokenRequests: TestOidcProvider['tokenRequests'] = [];
  let issuer = '';

  const sign = (claims: Record<string, unknown>, audience: string, lifetimeSeconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(privateKey);

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify(body));
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer);
    // Discovery, keys and tokens are fetched by the dashboard's script from another origin.
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Content-Type, Authorization' });
      response.end();
      return;
    }
    if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code'],
        token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (request.method === 'GET' && url.pathname === '/jwks') return json(response, 200, { keys: [jwk] });
    if (request.method === 'GET' && url.pathname === '/authorize') {
      const query = url.searchParams;
      authorizations.push(query);
      const wrong =
        query.get('client_id') !== options.clientId
          ? 'unknown client'
          : query.get('response_type') !== 'code'
            ? 'only the authorization code flow'
            : query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')
              ? 'PKCE with S256 is required'
              : !query.get('redirect_uri')
                ? 'no redirect_uri'
                : null;
      if (wrong) return json(response, 400, { error: 'invalid_request', error_description: wrong });
      const login = randomUUID();
      pendingLogins.set(login, query);
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(
        `<!doctype html><html lang="en"><head><link rel="icon" href="data:,"><title>Test identity provider</title></head><body><main><h1>Sign in</h1>` +
          `<form method="post" action="/authorize"><input type="hidden" name="login" value="${login}">` +
          options.users.map((user) => `<button name="user" value="${escapeHtml(user.id)}">${escapeHtml(user.name)}</button>`).join('') +
          `</form></main></body></html>`,
      );
      return;
    }
    if (request.method === 'POST' && url.pathname === '/authorize') {
      const form = await formOf(request);
      const query = pendingLogins.get(form.get('login') ?? '');
      const user = options.users.find((candidate) => candidate.id === form.get('user'));
      if (!query || !user) return json(response, 400, { error: 'invalid_request' });
      pendingLogins.delete(form.get('login')!);
      const code = randomBytes(24).toString('base64url');
      codes.set(code, { user, redirectUri: query.get('redirect_uri')!, challenge: query.get('code_challenge')!, nonce: query.get('nonce') });
      const back = new URL(query.get('redirect_uri')!);
      back.searchParams.set('code', code);
      if (query.get('state')) back.searchParams.set('state', query.get('state')!);
      response.writeHead(302, { Location: back.toString() });
      response.end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/token') {
      const form = await formOf(request);
      const pending = codes.get(form.get('code') ?? '');
      const pkceMatched = Boolean(pending && form.get('code_verifier') && s256(form.get('code_verifier')!) === pending.challenge);
      tokenRequests.push({ form, pkceMatched });
      if (form.get('grant_type') !== 'authorization_code' || !pending || form.get('client_id') !== options.clientId) {
        return json(response, 400, { error: 'invalid_grant' });
      }
      if (form.get('redirect_uri') !== pending.redirectUri || !pkceMatched) return json(response, 400, { error: 'invalid_grant', error_description: 'PKCE or redirect_uri mismatch' });
      codes.delete(form.get('code')!);
      const { user } = pending;
      const accessToken = await sign({ sub: user.id, name: user.name, [options.rolesClaim ?? 'roles']: [...user.roles] }, options.audience, 300);
      const idToken = await sign({ sub: user.id, name: user.name, ...(pending.nonce ? { nonce: pending.nonce } : {}) }, options.clientId, 300);
      return json(response, 200, { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 300, scope: 'openid' });
    }
    json(response, 404, { error: 'not_found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: 'server_error', error_description: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId: options.clientId,
    authorizations,
    tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
