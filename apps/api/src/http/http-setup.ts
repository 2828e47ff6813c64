import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger, type INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from '@app/platform';
import { requestLogMiddleware } from '../observability/logging/logging';
import { httpMetricsMiddleware } from '../observability/metrics/http-metrics';
import { Metrics } from '../observability/metrics/metrics';
import { jsonBodyGuard } from './json-body-guard';
import { setUpOpenApi } from './openapi';
import { problem, PROBLEM_CONTENT_TYPE } from './problem';
import { sendProblem } from './problem.filter';
import { correlationIdMiddleware } from './request-context';
import { createValidationPipe, TextPipe } from './validation';

const JSON_TYPES = ['application/json', 'application/*+json'];

type Middleware = (request: Request, response: Response, next: NextFunction) => void;

/**
 * These middlewares in turn, as one layer of Express's router: each layer costs every request a
 * match, its parameters and a continuation (bench/README.md, what a dossier read allocates).
 * An error handed to a continuation skips the rest, as Express would.
 */
export function inTurn(...steps: readonly Middleware[]): Middleware {
  return (request, response, next) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) return next(error);
      const middleware = steps[index++];
      if (middleware) middleware(request, response, step);
      else next();
    };
    step();
  };
}

/** Whether the request carries a body, as body-parser decides it (type-is's hasBody): a body whose length is given, even 0, or chunked. */
const carriesBody = (request: Request): boolean =>
  request.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(request.headers['content-length'] ?? Number.NaN));

/** The body's parsing and checks, skipped at once for a request without one (every GET): they would each find nothing to do. */
function forBodies(middleware: Middleware): Middleware {
  return (request, response, next) => (carriesBody(request) ? middleware(request, response, next) : next());
}

/** A body that is not JSON is refused before anything reads it. */
function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (hasBody && !request.is(JSON_TYPES)) {
    next(problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json.'));
    return;
  }
  next();
}

const PARSER_REFUSALS: Record<string, [status: number, reason: string, slug: string, detail: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'request-header-fields-too-large', 'The request line and headers are larger than this service accepts (16 KB).'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request-timeout', 'The request was not received in time.'],
};
const NOT_HTTP: [number, string, string, string] = [
  400,
  'Bad Request',
  'bad-request',
  'The request is not valid HTTP/1.1: a header holds a character HTTP does not allow (such as U+0000), or the request line is malformed.',
];

/**
 * What Node's HTTP parser refuses before any of the app sees the request (a control character
 * in a header, headers over the size limit) is answered problem+json like everything else, not
 * with Node's bare status line.
 */
function answerParserRefusals(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    if (!socket.writable || (socket.bytesWritten ?? 0) > 0) {
      socket.destroy(error);
      return;
    }
    const [status, reason, slug, detail] = PARSER_REFUSALS[error.code ?? ''] ?? NOT_HTTP;
    const body = JSON.stringify({ type: `/problems/${slug}`, title: reason, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * Helmet's defaults but for what only holds over HTTPS. upgrade-insecure-requests is sent only
 * behind TLS: over plain HTTP on any host but localhost, it sends every asset of the dashboard and
 * of Swagger UI to https and the pages stay blank. So is Cross-Origin-Opener-Policy, which browsers
 * ignore on such an origin, saying so as an error in the console of every page. connect-src also
 * allows the dashboard's OIDC provider, whose discovery and token endpoints the page calls.
 */
export function helmetOptions(config: AppConfig): HelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: config.behindTls ? [] : null,
        connectSrc: ["'self'", ...(config.auth.oidc ? [new URL(config.auth.oidc.issuer).origin] : [])],
      },
    },
    crossOriginOpenerPolicy: config.behindTls,
  };
}

/**
 * The HTTP pipeline shared by the service and the end-to-end tests: security headers, CORS only
 * for the configured origins, correlation ids, the request log, request metrics, JSON-only bodies under a size
 * limit, problem+json for errors raised before Nest's own filter is reached, validation, and the
 * OpenAPI document at /docs.
 */
export function configureHttp(app: INestApplication, config: AppConfig, log: PinoLogger): void {
  const logger = new Logger('Http');
  const server = app.getHttpAdapter().getInstance() as express.Express;
  server.disable('x-powered-by');
  // ETags here are dossier versions, set by the routes; no automatic body hashes on other responses.
  server.set('etag', false);
  answerParserRefusals(app.getHttpServer() as Server);
  app.use(helmet(helmetOptions(config)));
  // Off unless origins are configured: the API is called by servers and by the staff's own tools.
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.corsOrigins],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Idempotency-Key', 'X-Correlation-Id', 'X-Purpose'],
      exposedHeaders: ['ETag', 'Location', 'X-Correlation-Id', 'Idempotent-Replayed', 'Retry-After'],
      maxAge: 600,
    });
  }
  app.use(inTurn(correlationIdMiddleware, requestLogMiddleware(log), httpMetricsMiddleware(app.get(Metrics))));
  app.use(forBodies(inTurn(requireJsonBody, express.json({ limit: config.bodyLimit, type: JSON_TYPES, strict: false }), jsonBodyGuard)));
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) return next(error);
    sendProblem(request, response, error, logger);
  });
  app.useGlobalPipes(new TextPipe(), createValidationPipe());

  setUpOpenApi(app);
}
