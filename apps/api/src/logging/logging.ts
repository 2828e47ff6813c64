import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfig } from '@app/platform';

type LoggedRequest = IncomingMessage & { correlationId?: string; principal?: { subject: string }; originalUrl?: string };

/**
 * Structured JSON logs (pino), one line per request with its correlation id. What a line may hold
 * is decided here, not by whoever logs: method, path without the query string (a search may
 * carry a name), status, duration, the caller's token subject and the correlation id. No
 * headers, no bodies, no error messages (they may quote request data): an error is logged by
 * its class only.
 */
export function loggingModule(config: AppConfig, destination?: DestinationStream) {
  const options: Options = {
        level: config.logLevel,
        genReqId: (request: IncomingMessage) => (request as LoggedRequest).correlationId ?? randomUUID(),
        // Called when the request arrives and again when its answer is sent, each result bound on
        // top of the last (a key given twice would appear twice in the line): the correlation id
        // first, the caller's subject once authentication has run.
        customProps: (request: IncomingMessage, response: ServerResponse) =>
          response.headersSent
            ? { actor: (request as LoggedRequest).principal?.subject }
            : { correlationId: (request as LoggedRequest).correlationId },
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
