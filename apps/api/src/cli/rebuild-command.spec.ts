import { PERSONAL_DATA_MIGRATIONS } from '@app/personal-data';
import { READ_MODEL_MIGRATIONS } from '@app/read-models';
import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { PostgresEventStore } from '@app/event-store/postgres';
import { PersonalDataProtection } from '@app/personal-data';
import { ProjectionEngine, UnknownProjectionError } from '@app/projection-engine';
import { allProjections } from '@app/read-models';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { runRebuildCommand } from './rebuild-command';

describe('projections rebuild command', () => {
  const projections = () => allProjections(PersonalDataProtection.withMasterSecret(randomBytes(48)));
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let store: PostgresEventStore;
  let engine: ProjectionEngine;

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    store = await PostgresEventStore.connect(database.url);
    for (let i = 0; i < 30; i++) {
      const dossierId = randomUUID();
      const { streamId, type, data, metadata } = recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-04-01'));
      await store.append(streamId, [{ id: randomUUID(), type, data, metadata }], 'no_stream');
    }
    engine = new ProjectionEngine(store, database.dataSource, projections(), { batchSize: 7, retryDelayMs: 100, log: () => undefined });
  });

  afterAll(async () => {
    await engine.stop();
    await store.close();
    await database.close();
  });

  const run = async (name?: string) => {
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    await runRebuildCommand(engine, name, output);
    return chunks.join('');
  };

  it('lists every projection with its state and lag when no name is given', async () => {
    const listing = await run();
    for (const projection of projections()) expect(listing).toMatch(new RegExp(`^${projection.name}\\t`, 'm'));
    expect(listing).toContain('lag 30 events');
    expect(listing).toContain('Rebuild one: npm run cli -- projections rebuild <name>');
  });

  it('rebuilds one projection, reporting progress with events/s and ETA, and switches to the fresh copy', async () => {
    const output = await run('crt-registry');
    expect(output).toMatch(/crt-registry \[=+\] 100% \| 30 events \| \d+ events\/s \| ETA/);
    expect(output).toMatch(/Rebuilt crt-registry: 30 events in [\d.]+ s; switched to the fresh copy\./);
    const [row] = await database.dataSource.query('SELECT count(*)::int AS n FROM read_models.crt_dossiers');
    expect(row.n).toBe(30);
    const status = (await engine.statuses()).find((s) => s.name === 'crt-registry');
    expect(status?.lagEvents).toBe(0);
  });

  it('refuses an unknown projection by name', async () => {
    await expect(run('no-such-projection')).rejects.toBeInstanceOf(UnknownProjectionError);
  });
});
