import type { DataSource } from 'typeorm';
import { openMigratedDatabase } from '@app/testing';
import { PROJECTION_ENGINE_MIGRATIONS } from '../migrations';
import { READ_MODEL_SCHEMA, type ProjectionContext } from '../projection';
import type { SafeFormField } from '../safe-form';

/** Entry point for specs (`@app/projection-engine/testing`). */

/** What a projection noted through its context about events stored in a safe form or left out. */
export type Noted = { eventId: string; fields: readonly SafeFormField[] } | { eventId: string; leftOut: string };

/**
 * A database of its own with the engine's tables and the given migrations (a read model's, the
 * keys' of personal data, …), and a live-schema context whose safe-form notes land in `noted`.
 */
export async function openReadModelDatabase(migrations: Function[] = []): Promise<{
  url: string;
  dataSource: DataSource;
  context: ProjectionContext;
  noted: Noted[];
  close: () => Promise<void>;
}> {
  const database = await openMigratedDatabase([...PROJECTION_ENGINE_MIGRATIONS, ...migrations]);
  const { dataSource } = database;
  const noted: Noted[] = [];
  return {
    ...database,
    context: {
      schema: READ_MODEL_SCHEMA,
      query: (sql, parameters) => dataSource.query(sql, parameters),
      storedInSafeForm: (event, fields) => noted.push({ eventId: event.id, fields }),
      leftOut: (event, leftOut) => noted.push({ eventId: event.id, leftOut }),
    },
    noted,
  };
}
