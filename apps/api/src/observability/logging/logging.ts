import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { destination as fileDestination, pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '@app/platform';

type LoggedRequest = IncomingMessage & { correlationId?: string; principal?: { subject: string }; originalUrl?: string };

/** Nest's start-up chatter, a line per module and route: kept for LOG_LEVEL=debug, out of the way otherwise. */
const START_UP_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** What every logger of the process shares: the level, and Nest's start-up chatter moved to debug. */
export function loggerOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.logLevel,
    hooks: {
      logMethod(args, method, level) {
        const [first] = args as unknown[];
        const context = typeof first === 'object' && first !== null ? (first as { context?: unknown }).context : undefined;
        if (level === 30 && typeof context === 'string' && START_UP_CHATTER.has(context)) {
          return this.debug(...(args as Parameters<typeof this.debug>));
        }
        return method.apply(this, args);
      },
    },
  };
}

/**
 * Where the log lines go: readable, coloured lines for a person at a terminal (LOG_FORMAT=pretty,
 * or auto with standard output a TTY); one JSON line per entry otherwise, for log collectors,
 * written in chunks (at most a quarter second late; flushed at exit).
 * Every logger of the process writes through this one stream, so lines keep their order.
 */
export function logDestination(config: AppConfig, output: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): DestinationStream {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && output.isTTY === true);
  // Lines to standard output are written in chunks of 4 KiB, or every quarter second, and at exit:
  // a write per request line cost about 5% of a dossier read's CPU in the bench's profile.
  if (!pretty) return output === process.stdout ? fileDestination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }) : (output as DestinationStream);
  return pinoPretty({
    destination: output,
    sync: true,
    colorize: output.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    singleLine: true,
    // A request reads as "POST /dossiers 201 12ms", anything else as "[Context] message".
    messageFormat: (log, messageKey) => {
      const request = log.req as { method?: string; path?: string } | undefined;
      const answer = log.res as { statusCode?: number } | undefined;
      if (request && answer) return `${request.method} ${request.path} ${answer.statusCode} ${log.responseTime}ms`;
      return `${log.context ? `[${log.context}] ` : ''}${log[messageKey]}`;
    },
  });
}

/** A request's path as logged: without the query string, which may carry a name. */
const pathOf = (request: LoggedRequest) => (request.originalUrl ?? request.url ?? '').split('?')[0];

/**
 * The process's logger: every line of the process goes through it (Nest's own messages, the
 * request log), to one stream. What a line may hold is decided here, not by whoever logs: an
 * error is logged by its class only (its message may quote request data).
 */
export function processLogger(config: AppConfig, destination?: DestinationStream): PinoLogger {
  const options: LoggerOptions = { ...loggerOptions(config), serializers: { err: (error: Error | { type: string }) => ({ type: error instanceof Error ? error.constructor.name : error.type }) } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * One line per request, written by the process's logger when the answer is sent (or the
 * connection closes first): method, path without the query string, status, duration, the
 * caller's token subject and the correlation id. No headers, no bodies, no error messages.
 * Written from the request itself, without a child logger per request: a child logger (and
 * the async-local storage that carried it) was about a tenth of what a dossier read allocated
 * (bench/README.md).
 */
export function requestLogMiddleware(logger: PinoLogger) {
  return (request: LoggedRequest, response: ServerResponse, next: () => void): void => {
    if (UNLOGGED_PATHS.test(pathOf(request))) return next();
    const startedAt = Date.now();
    const written = (): void => {
      response.off('close', written);
      response.off('finish', written);
      const status = response.statusCode;
      const line = {
        req: { method: request.method, path: pathOf(request) },
        correlationId: request.correlationId,
        actor: request.principal?.subject,
        res: { statusCode: status },
        // A failed answer's line names an error, as pino-http's did; which one is in the line before.
        ...(status >= 500 ? { err: { type: 'Error' } } : {}),
        responseTime: Date.now() - startedAt,
      };
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      const outcome = status >= 500 ? 'request errored' : !request.readableAborted && response.writableEnded ? 'request completed' : 'request aborted';
      logger[level](line, outcome);
    };
    response.on('close', written);
    response.on('finish', written);
    next();
  };
}

/** Probes and scrapes, every few seconds: not logged. */
const UNLOGGED_PATHS = /^\/(health\/live|metrics)$/;

/**
 * Nest's LoggerService on the process's logger: `[Context] message` as `context` and `msg`, an
 * error by its class, an object's fields as they are (the contract nestjs-pino's Logger had, so
 * the lines look as they did).
 */
export class ProcessLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, rest: unknown[]): void {
    // Nest passes the context last.
    const fields: Record<string, unknown> = rest.length > 0 ? { context: rest[rest.length - 1] } : {};
    const params = rest.slice(0, -1);
    if (typeof message === 'object' && message !== null) {
      if (message instanceof Error) fields.err = message;
      else Object.assign(fields, message);
      this.logger[level](fields, ...(params as []));
    } else if (level === 'error' && typeof message === 'string' && params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0])) {
      // Nest's exception handlers pass (message, stack): an error of that message, logged by its class.
      this.logger[level]({ ...fields, err: new Error(message) });
    } else {
      this.logger[level](fields, String(message), ...(params as []));
    }
  }
}
