import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '@app/platform';
import { logDestination, loggerOptions } from './logging';

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
