import { UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';
import type { Metrics } from './metrics';

const outcomeOf = (status: number) => (status < 400 ? 'accepted' : status < 500 ? 'rejected' : 'failed');

/**
 * Times every response by route template and status, errors included, once it is sent; a
 * response to a command also counts for its command.
 */
export function httpMetricsMiddleware(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const end = metrics.httpRequestDuration.startTimer();
    response.once('finish', () => {
      const status = response.statusCode;
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: request.method, route, status: String(status) });
      const command = response.locals.command as string | undefined;
      if (command) metrics.commands.inc({ command, outcome: outcomeOf(status) });
    });
    next();
  };
}

/** Hands the command name of its route to the middleware above. */
class CommandNameInterceptor implements NestInterceptor {
  constructor(private readonly name: string) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<Response>().locals.command = this.name;
    return next.handle();
  }
}

/**
 * Counts the route's requests as the named command in dossier_commands_total. Bound to the
 * command routes only: an interceptor on every route costs every request (bench/README.md).
 */
export const CountsAsCommand = (name: string) => UseInterceptors(new CommandNameInterceptor(name));
