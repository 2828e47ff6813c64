import express, { type NextFunction, type Request, type Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import request from 'supertest';
import { loadConfig } from '@app/platform';
import { helmetOptions, inTurn, securityHeaders } from './http-setup';

describe('middlewares in turn, as one layer', () => {
  const request = {} as Request;
  const response = {} as Response;
  type Step = (request: Request, response: Response, next: NextFunction) => void;
  const run = (...steps: Step[]) =>
    new Promise<unknown>((resolve) => inTurn(...steps)(request, response, ((error?: unknown) => resolve(error ?? 'done')) as NextFunction));

  it('runs each in order, then goes on', async () => {
    const seen: string[] = [];
    const step = (name: string) => (_request: Request, _response: Response, next: NextFunction) => {
      seen.push(name);
      next();
    };
    await expect(run(step('a'), step('b'), step('c'))).resolves.toBe('done');
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('skips the rest on an error, as Express does, and hands it on', async () => {
    const refused = new Error('refused');
    const later = jest.fn();
    await expect(run((_request: Request, _response: Response, next: NextFunction) => next(refused), later)).resolves.toBe(refused);
    expect(later).not.toHaveBeenCalled();
  });

  it('waits for a middleware that goes on later', async () => {
    const seen: string[] = [];
    const slow: Step = (_request, _response, next) => {
      setImmediate(() => (seen.push('slow'), next()));
    };
    const after: Step = (_request, _response, next) => (seen.push('after'), next());
    await expect(run(slow, after)).resolves.toBe('done');
    expect(seen).toEqual(['slow', 'after']);
  });
});

describe("helmet's headers set ahead (securityHeaders)", () => {
  const configs = {
    'plain HTTP': {},
    'behind TLS': { BEHIND_TLS: 'true' },
    'with an OIDC provider': { AUTH_OIDC_ISSUER: 'https://login.example.org/realms/staff', AUTH_OIDC_CLIENT_ID: 'dashboard', AUTH_JWKS_URL: 'https://login.example.org/certs' },
  };
  /** The headers of an answer, in the order they were sent, but for those that name the moment or the connection. */
  async function headersOf(middleware: express.RequestHandler, path: string): Promise<Array<[string, unknown]>> {
    const app = express();
    app.disable('x-powered-by');
    app.use(middleware);
    app.get('/dossiers/:id', (_request, response) => void response.json({ ok: true }));
    const answer = await request(app).get(path);
    // In the order they came (Node's parser keeps it).
    return Object.entries(answer.headers as Record<string, unknown>).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
  }

  it.each(Object.entries(configs))('are the headers helmet sends, in its order (%s), on an answer and on a 404', async (_name, env) => {
    const options = helmetOptions(loadConfig({ DATA_DIR: '/nonexistent', AUTH_DEV_SECRET: 'a-secret-for-the-http-setup-spec-of-32-bytes!', ...env }));
    for (const path of ['/dossiers/7', '/nowhere']) {
      const ahead = await headersOf(securityHeaders(options), path);
      expect(ahead).toEqual(await headersOf(helmet(options), path));
      expect(ahead.map(([name]) => name)).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-frame-options']));
    }
  });

  it('refuse, at start, options whose headers depend on the request (a nonce)', () => {
    // As helmet's own documentation writes a nonce.
    const nonce = (_request: unknown, response: unknown) => `'nonce-${(response as { locals: { cspNonce: string } }).locals.cspNonce}'`;
    const perRequest: HelmetOptions = { contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce] } } };
    expect(() => securityHeaders(perRequest)).toThrow("helmet read the response's locals: its headers cannot be set ahead of the requests");
  });
});
