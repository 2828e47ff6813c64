import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DossierUnreadableError } from '@app/dossiers';
import { isNoSuchRoute, problem, PROBLEM_CONTENT_TYPE, toProblem } from './problem';
import type { RequestWithContext } from './request-context';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  match(path: string): unknown;
}

/** The methods the app's routes answer on this path (none: no route has the path at all). */
function methodsOn(app: { router?: { stack: RouteLayer[] } }, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of app.router?.stack ?? []) {
    // Middleware applied to every path sits in the router as a wildcard route on every method.
    if (!layer.route || layer.route.path.includes('*') || !layer.match(path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();
    sendProblem(request, response, this.methodNotAllowed(exception, request, response) ?? exception, this.logger);
  }

  /** No route for this method, but one for the path: 405 with the methods that are there. */
  private methodNotAllowed(exception: unknown, request: Request, response: Response): unknown {
    if (!isNoSuchRoute(exception)) return undefined;
    const allowed = methodsOn(this.adapterHost.httpAdapter.getInstance(), request.path);
    if (allowed.length === 0) return undefined;
    response.setHeader('Allow', allowed.join(', '));
    return problem(HttpStatus.METHOD_NOT_ALLOWED, 'method-not-allowed', 'Method not allowed', `Allowed here: ${allowed.join(', ')}.`);
  }
}

export function sendProblem(request: Request, response: Response, exception: unknown, logger: Logger): void {
  const body = toProblem(exception);
  if (body.status >= 500) {
    // The error's own message can quote request data; log its class, not its text, with the
    // request's correlation id (the request's own line follows when the answer is sent).
    const error = exception instanceof Error ? exception : new Error('non-error thrown');
    logger.error({
      msg: `${request.method} ${request.route?.path ?? 'unmatched route'} failed with ${error.name}`,
      correlationId: (request as Partial<RequestWithContext>).correlationId,
      err: error,
    });
  }
  if (exception instanceof DossierUnreadableError) {
    // An alert for operations: the store was altered behind the service's back. Ids only, no data.
    logger.error(`dossier ${exception.dossierId}: version ${exception.version} cannot be read as stored; ${request.method} ${request.route?.path ?? ''} refused (dossier-unreadable)`);
  }
  if (response.headersSent) return;
  if (body.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
  response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({ ...body, instance: request.originalUrl.split('?')[0] }));
}
