import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore } from '@app/event-store/postgres';
import { openRuntime, type OpenedRuntime } from '../libs/persistence/src';
import { PersonalDataProtection } from '../libs/personal-data/src';
import { loadConfig } from '../libs/platform/src';
import { allProjections } from '@app/read-models';
import { grantedLocks, lockName, ProjectionEngine, projectionLockKey } from '@app/projection-engine';
import { createTestDatabase, until } from '@app/testing';
import { appendGeneratedHistories } from './support/generated-histories';
import { readModels } from './support/read-models';

/**
 * Two projector processes on one database: the one running a projection is killed with SIGKILL
 * part-way through its catch-up, the other takes over from the checkpoint, and the read models
 * it leaves are exactly what a clean rebuild makes. PostgreSQL store only (the projection lock
 * is in PostgreSQL whichever store holds the events); not an *.e2e.spec.ts, so it runs once.
 */

const ROOT = resolve(__dirname, '..');
const PERSONAL_DATA_KEY = 'takeover-spec-master-secret-0123456789abcdef';
/** About 1,900 events: loaded in seconds (while the projectors start), caught up in several with small batches. */
const PERSONS = 500;
const BATCH_SIZE = '25';
const MEMORY_ROWS = '200';

interface Projector {
  readonly label: string;
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

describe('projector takeover', () => {
  let database: { url: string; drop: () => Promise<void> };
  let opened: OpenedRuntime;
  let engine: ProjectionEngine;
  let gate: Client | undefined;
  const projectors: Projector[] = [];

  const names = () => engine.projections.map((projection) => projection.name);

  function startProjector(label: string, dataDir: string): Projector {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PERSONAL_DATA_KEY,
      PROJECTION_BATCH_SIZE: BATCH_SIZE,
      // Empty read models catch up in one pass (docs/projections.md): flushed every 200 rows, so that a kill lands between flushes.
      PROJECTION_MEMORY_ROWS: MEMORY_ROWS,
      TS_NODE_TRANSPILE_ONLY: 'true',
    };
    delete env.EVENTSTORE_URL;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/projector/src/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const projector = { label, child, lines, exited };
    projectors.push(projector);
    return projector;
  }

  /** Checkpoint and owner of every projection, the owner only while its lock is held. */
  async function checkpoints(): Promise<Record<string, { position: bigint; owner: string | null }>> {
    const [rows, locks] = await Promise.all([
      opened.runtime.dataSource.query('SELECT name, position_prepare::text AS position, owner FROM read_models.projection_checkpoints') as Promise<
        Array<{ name: string; position: string; owner: string | null }>
      >,
      grantedLocks(opened.runtime.dataSource),
    ]);
    return Object.fromEntries(
      names().map((name) => {
        const row = rows.find((candidate) => candidate.name === name);
        const held = locks.has(lockName(projectionLockKey(name)));
        return [name, { position: BigInt(row?.position ?? 0), owner: held ? (row?.owner ?? null) : null }];
      }),
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: database.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'takeover-test-')),
      PERSONAL_DATA_KEY,
    });
    opened = await openRuntime(config);
    engine = new ProjectionEngine(opened.runtime.eventStore, opened.runtime.dataSource, allProjections(PersonalDataProtection.fromConfig(config)), {
      batchSize: 500,
      retryDelayMs: 100,
      log: () => undefined,
    });
  });

  afterAll(async () => {
    for (const projector of projectors) {
      if (projector.child.exitCode === null && projector.child.signalCode === null) projector.child.kill('SIGKILL');
    }
    await Promise.all(projectors.map((projector) => projector.exited));
    await gate?.end().catch(() => undefined);
    await opened?.close();
    await database?.drop();
  });

  it('lets the second projector take over from the checkpoint when the first is killed mid catch-up; the read models equal a clean rebuild', async () => {
    // Both processes up and standing by before either starts: the test holds every projection's lock.
    gate = new Client({ connectionString: database.url });
    await gate.connect();
    for (const name of names()) {
      const key = projectionLockKey(name);
      await gate.query('SELECT pg_advisory_lock($1, $2)', [key.space, key.id]);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'takeover-projectors-'));
    const first = startProjector('first', dataDir);
    const second = startProjector('second', dataDir);
    // The log is loaded while they start, by a writer whose commits need not wait for the disk.
    const loadingUrl = new URL(database.url);
    loadingUrl.searchParams.set('options', '-c synchronous_commit=off');
    const loader = await PostgresEventStore.connect(loadingUrl.toString());
    const events = await appendGeneratedHistories(loader, PERSONS).finally(() => loader.close());
    expect(events).toBeGreaterThan(1500);
    // prepare: the events' own numbers, about dense (commit is the appending transaction's id).
    const head = (await opened.runtime.eventStore.headPosition()).prepare;
    const standingBy = (projector: Projector) =>
      names().every((name) => projector.lines.some((line) => line.includes(`Projection ${name}: standing by`)));
    await until(
      async () => [first, second].map((projector) => ({ projector: projector.label, ready: standingBy(projector), last: projector.lines.slice(-3) })),
      (both) => both.every((one) => one.ready),
      { what: 'Both projectors standing by', timeoutMs: 45_000 },
    );
    await gate.end();
    gate = undefined;

    // Whichever took a projection: kill it once that projection's checkpoint has moved a good way, well before the head.
    const underWay = (c: { position: bigint; owner: string | null }) => c.owner !== null && c.position >= head / 10n && c.position < head / 2n;
    const running = await until(checkpoints, (all) => Object.values(all).some(underWay), { what: 'A projection under way', timeoutMs: 30_000, pollMs: 10 });
    const [projection, { owner }] = Object.entries(running).find(([, c]) => underWay(c))!;
    // Owners are named host:pid.
    const pidOf = (instance: string | null) => Number(instance?.split(':').pop());
    const victim = projectors.find((projector) => projector.child.pid === pidOf(owner))!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = (await checkpoints())[projection].position;
    // Not reached by the killed one: a checkpoint never goes back, and it is short of the head.
    expect(atKill).toBeGreaterThan(0n);
    expect(atKill).toBeLessThan(head);

    const survivor = victim === first ? second : first;
    const done = await until(checkpoints, (all) => Object.values(all).every((c) => pidOf(c.owner) === survivor.child.pid && c.position === head), {
      what: 'The survivor running every projection, at the head',
      timeoutMs: 45_000,
    });
    expect(Object.keys(done)).toEqual(names());
    expect(survivor.lines).toContainEqual(expect.stringContaining(`Projection ${projection}: running in this instance`));
    expect(victim.child.signalCode).toBe('SIGKILL');

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    const projected = await readModels(opened.runtime.dataSource, engine.projections);
    const [{ dossiers }] = await opened.runtime.dataSource.query('SELECT count(DISTINCT stream_id)::int AS dossiers FROM event_store.events');
    expect(projected.crt_dossiers).toHaveLength(dossiers);

    await Promise.all(names().map((name) => engine.rebuild(name)));
    const rebuilt = await readModels(opened.runtime.dataSource, engine.projections);
    for (const table of Object.keys(rebuilt)) expect({ table, rows: projected[table] }).toEqual({ table, rows: rebuilt[table] });
    expect(Object.values(await checkpoints()).map((c) => c.position)).toEqual(names().map(() => head));
  }, 90_000);
});
