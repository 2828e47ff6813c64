import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '@app/platform';
import { logDestination, loggerOptions, ProcessLogger, processLogger, requestLogMiddleware } from './logging';

/** A standard output that records what is written to it, a terminal or not. */
function output(isTTY: boolean): Writable & { isTTY: boolean; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return Object.assign(stream, { isTTY, lines: () => chunks.join('').split('\n').filter((line) => line !== '') });
}

function logWith(env: NodeJS.ProcessEnv, isTTY: boolean) {
  const config = loadConfig(env);
  const out = output(isTTY);
  const logger = pino(loggerOptions(config), logDestination(config, out));
  logger.info({ context: 'Main' }, 'Listening on http://127.0.0.1:3000');
  logger.info({ req: { method: 'POST', path: '/dossiers' }, res: { statusCode: 201 }, responseTime: 12, correlationId: 'c-1' }, 'request completed');
  return out.lines();
}

describe('log lines', () => {
  it('are readable on a terminal by default', () => {
    const [listening, request] = logWith({}, true);
    expect(listening).toMatch(/^\S*\d{2}:\d{2}:\d{2}\.\d{3}\S* \S*INFO\S*: \S*\[Main\] Listening on http:\/\/127\.0\.0\.1:3000/);
    expect(request).toMatch(/POST \/dossiers 201 12ms/);
    expect(request).toContain('"correlationId":"c-1"');
    expect(() => JSON.parse(listening)).toThrow();
  });

  it('are JSON lines when standard output is no terminal (a pipe, a file, a log collector)', () => {
    const [listening, request] = logWith({}, false);
    expect(JSON.parse(listening)).toMatchObject({ level: 30, context: 'Main', msg: 'Listening on http://127.0.0.1:3000' });
    expect(JSON.parse(request)).toMatchObject({ req: { method: 'POST', path: '/dossiers' }, correlationId: 'c-1' });
  });

  it('follow LOG_FORMAT when it is set: pretty without colours off a terminal, JSON on one', () => {
    const [pretty] = logWith({ LOG_FORMAT: 'pretty' }, false);
    expect(pretty).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: \[Main\] Listening/);
    expect(JSON.parse(logWith({ LOG_FORMAT: 'json' }, true)[0])).toMatchObject({ msg: 'Listening on http://127.0.0.1:3000' });
  });

  it("move Nest's start-up chatter (a line per module and route) to debug", () => {
    const config = loadConfig({ LOG_FORMAT: 'json' });
    const out = output(false);
    const logger = pino(loggerOptions(config), logDestination(config, out));
    logger.info({ context: 'RouterExplorer' }, 'Mapped {/dossiers, POST} route');
    logger.info({ context: 'InstanceLoader' }, 'AppModule dependencies initialized');
    logger.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(out.lines().map((line) => JSON.parse(line).msg)).toEqual(['Nest application successfully started']);

    const debug = loadConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
    const all = output(false);
    pino(loggerOptions(debug), logDestination(debug, all)).info({ context: 'RouterExplorer' }, 'Mapped {/dossiers, POST} route');
    expect(JSON.parse(all.lines()[0])).toMatchObject({ level: 20, context: 'RouterExplorer' });
  });
});

describe('the request log', () => {
  /** Serves one request through the middleware; the handler answers with this status after the principal is known. */
  async function logged(status: number, path: string): Promise<Record<string, unknown>[]> {
    const out = output(false);
    const config = loadConfig({ LOG_FORMAT: 'json' });
    const middleware = requestLogMiddleware(processLogger(config, logDestination(config, out)));
    const server = createServer((request: IncomingMessage & { correlationId?: string; principal?: { subject: string } }, response) => {
      request.correlationId = 'c-7';
      middleware(request, response, () => {
        request.principal = { subject: 'alice' };
        response.statusCode = status;
        response.end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) =>
      httpRequest({ host: '127.0.0.1', port, path }, (response) => response.resume().on('end', resolve)).on('error', reject).end(),
    );
    server.close();
    await once(server, 'close');
    return out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('is one line per request, written when the answer is sent: path without the query, status, time, actor, correlation id', async () => {
    const [line] = await logged(201, '/dossiers?q=Kvitneva');
    expect(Object.keys(line)).toEqual(['level', 'time', 'pid', 'hostname', 'req', 'correlationId', 'actor', 'res', 'responseTime', 'msg']);
    expect(line).toMatchObject({ level: 30, req: { method: 'GET', path: '/dossiers' }, correlationId: 'c-7', actor: 'alice', res: { statusCode: 201 }, msg: 'request completed' });
    expect(JSON.stringify(line)).not.toContain('Kvitneva');
  });

  it('is a warning for a client error and an error, naming one, for a server error; probes and scrapes are not logged', async () => {
    expect(await logged(404, '/dossiers/x')).toMatchObject([{ level: 40, res: { statusCode: 404 }, msg: 'request completed' }]);
    expect(await logged(503, '/dossiers')).toMatchObject([{ level: 50, res: { statusCode: 503 }, err: { type: 'Error' }, msg: 'request errored' }]);
    expect(await logged(200, '/health/live')).toEqual([]);
    expect(await logged(200, '/metrics')).toEqual([]);
  });
});

describe("Nest's messages", () => {
  it('are lines of the process logger with their context; an error is logged by its class, not its message', () => {
    const out = output(false);
    const config = loadConfig({ LOG_FORMAT: 'json' });
    const logger = new ProcessLogger(processLogger(config, logDestination(config, out)));
    logger.log('Listening', 'Main');
    logger.error({ msg: 'GET /dossiers/:id failed with TypeError', correlationId: 'c-8', err: new TypeError('Kvitneva is not a function') }, 'Http');
    logger.error('Unhandled', '    at one (a.js:1:1)\n    at two (b.js:2:2)', 'ExceptionsHandler');
    const [listening, failed, unhandled] = out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(listening).toMatchObject({ level: 30, context: 'Main', msg: 'Listening' });
    expect(failed).toMatchObject({ level: 50, context: 'Http', correlationId: 'c-8', err: { type: 'TypeError' }, msg: 'GET /dossiers/:id failed with TypeError' });
    expect(unhandled).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { type: 'Error' } });
    expect(out.lines().join('\n')).not.toContain('Kvitneva');
  });
});
