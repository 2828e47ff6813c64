import { SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';
import type { Metrics } from './metrics';

const COMMAND_NAME = 'metrics:command';

/** Counts the route's requests as the named command in dossier_commands_total. */
export const CountsAsCommand = (name: string) => SetMetadata(COMMAND_NAME, name);

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

/** Hands the command name of the matched route to the middleware above. */
@Injectable()
export class CommandNameInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const name = this.reflector.get<string | undefined>(COMMAND_NAME, context.getHandler());
    if (name) context.switchToHttp().getResponse<Response>().locals.command = name;
    return next.handle();
  }
}
