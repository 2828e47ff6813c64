import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { destination as fileDestination, type DestinationStream, type LoggerOptions } from 'pino';
import type { Options } from 'pino-http';
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

/**
 * Logs (pino), one line per request with its correlation id. What a line may hold is decided
 * here, not by whoever logs: method, path without the query string (a search may carry a name),
 * status, duration, the caller's token subject and the correlation id. No headers, no bodies, no
 * error messages (they may quote request data): an error is logged by its class only.
 */
export function loggingModule(config: AppConfig, destination?: DestinationStream) {
  const options: Options = {
    ...loggerOptions(config),
    genReqId: (request: IncomingMessage) => (request as LoggedRequest).correlationId ?? randomUUID(),
    // Called when the request arrives and again when its answer is sent, each result bound on
    // top of the last (a key given twice would appear twice in the line): the correlation id
    // first, the caller's subject once authentication has run.
    customProps: (request: IncomingMessage, response: ServerResponse) =>
      response.headersSent ? { actor: (request as LoggedRequest).principal?.subject } : { correlationId: (request as LoggedRequest).correlationId },
    autoLogging: { ignore: (request: IncomingMessage) => /^\/(health\/live|metrics)$/.test((request.url ?? '').split('?')[0]) },
    customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (request: { method?: string; url?: string }) => ({ method: request.method, path: (request.url ?? '').split('?')[0] }),
      res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
      err: (error: { type?: string; name?: string }) => ({ type: error.type ?? error.name }),
    },
  };
  return LoggerModule.forRoot({ pinoHttp: destination ? [options, destination] : options });
}
