import { randomUUID } from 'node:crypto';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ProjectionContext } from './projection';
import { openMigratedDatabase } from '@app/testing';
import { PostgresEventStore } from '@app/event-store/postgres';
import { ensureCheckpoint } from './apply-batch';
import { positionOf } from './checkpoints';
import { PROJECTION_ENGINE_MIGRATIONS } from './migrations';
import { foldInOnePass, OnePassMemory } from './one-pass';
import { READ_MODEL_SCHEMA, type Projection, type RebuildWriter } from './projection';

describe('foldInOnePass', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await openMigratedDatabase(PROJECTION_ENGINE_MIGRATIONS);
    store = await PostgresEventStore.connect(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.close();
  });

  it("keeps none of its statements' results past the young generation's next collection: the reads ahead, the fold's, the flush's", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
    // As in @app/platform's sent-with-callback.spec.ts: a new text of 204,800 characters a read, a
    // large object, which a scavenge that finds it alive moves to the old generation's large objects
    // at once. pg's promise form (TypeORM's dataSource.query and runner.query) keeps each so.
    const read = 'SELECT repeat(md5(random()::text), 6400) AS t';
    const prefix = `pages${randomUUID().slice(0, 8)}-`;
    const projection: Projection = { name: `${prefix}fold`, tables: [], streamPrefixes: [prefix], apply: async () => undefined };
    for (let i = 0; i < 4; i++) await store.append(`${prefix}${i}`, [{ id: randomUUID(), type: 'Counted', data: {}, metadata: {} }], 'no_stream');
    let characters = 0;
    const readOnce = async (context: Pick<ProjectionContext, 'query'>) => {
      // Added once the read is in (reads ahead run beside the fold's).
      const [{ t }] = await context.query<{ t: string }>(read);
      characters += t.length;
    };
    /** A writer that reads one text ahead of each page, one as it folds it and two as it flushes. */
    const writer = (): RebuildWriter => {
      let ahead = Promise.resolve();
      return {
        size: 0,
        readAhead(events, context) {
          if (events.length === 0) return;
          ahead = readOnce(context);
          ahead.catch(() => undefined);
        },
        async fold(_events, context) {
          await ahead;
          await readOnce(context);
        },
        async flush(context) {
          await readOnce(context);
          await readOnce(context);
        },
      };
    };
    const fold = async (checkpoint: string) =>
      foldInOnePass(store, database.dataSource, projection, writer(), {
        checkpoint,
        schema: READ_MODEL_SCHEMA,
        after: positionOf(await ensureCheckpoint(database.dataSource, checkpoint)),
        batchSize: 1,
        memory: new OnePassMemory(1000),
        carryOn: () => undefined,
      });
    const largeObjects = () => getHeapSpaceStatistics().find((space) => space.space_name === 'large_object_space')!.space_used_size;

    await fold(`${prefix}warm`);
    const checkpoint = `${prefix}measured`;
    await ensureCheckpoint(database.dataSource, checkpoint);
    gc({ type: 'major' });
    gc({ type: 'major' });
    characters = 0;
    const before = largeObjects();
    expect((await fold(checkpoint)).folded).toBe(4);
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    const kept = largeObjects() - before;
    // 4 reads ahead, 4 in the fold, 2 in the flush: 2 MB read, under two texts' worth kept.
    expect(characters).toBe(2_048_000);
    expect(kept < 450_000 ? 'none kept' : { kept }).toBe('none kept');
  });
});
