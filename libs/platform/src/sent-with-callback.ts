import { QueryFailedError, type DataSource, type QueryRunner } from 'typeorm';

/** What sends a statement with node-pg's callback form: a pg client, or a pg pool (its text alone, or a named statement). */
export interface CallbackQueryable {
  query(
    config: { name?: string; text: string; values?: readonly unknown[]; rowMode?: 'array' },
    callback: (error: Error | null, result: unknown) => void,
  ): void;
  query(text: string, values: readonly unknown[] | undefined, callback: (error: Error | null, result: unknown) => void): void;
}

/**
 * `text` sent with node-pg's callback form, pg's result (one, or one per statement of a message of
 * the simple protocol) in a promise of our own: what the service's frequent statements go
 * through instead of pg's promise form (`await client.query(text)`, which TypeORM's
 * DataSource.query and its query runners await).
 *
 * Why: pg's promise form sets `query.callback = (err, res) => …` in `Client.query`, a function
 * literal assigned to a property, which V8's parser marks to be allocated in the old generation
 * (it takes such a function for a long-lived method). The closure holds the promise's resolve
 * function, so each result (its rows, its texts) is reachable from an old object that has died but
 * that only a mark-compact finds dead: every scavenge until then keeps the result, the first
 * copying it, the second promoting it. Through the callback form the callback is an argument,
 * allocated young, and the result dies with its answer (docs/architecture.md, "Statements and the
 * collector"; bench/README.md, "Dossier reads' tails (thirteenth session)").
 */
export function sentWithCallback<R>(to: CallbackQueryable, text: string, values?: readonly unknown[], name?: string, rowMode?: 'array'): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const done = (error: Error | null, result: unknown) => (error ? reject(error) : resolve(result as R));
    // `name`: a statement each connection prepares once, with parameters only (the extended protocol; PreparedNames).
    // `rowMode`: 'array', each row as an array of its columns' values.
    if (name === undefined && rowMode === undefined) to.query(text, values, done);
    else to.query({ name, text, values, rowMode }, done);
  });
}

/**
 * The pg pool TypeORM's PostgreSQL driver sends `dataSource`'s statements through (no replicas
 * here). Reached inside TypeORM's driver, as the COPY path does; what goes this way bypasses
 * TypeORM's query logger and its QueryFailedError wrapping (pg's own error arrives, its `code`
 * and names as pg gives them).
 */
export const poolOf = (dataSource: DataSource): CallbackQueryable => (dataSource.driver as unknown as { master: CallbackQueryable }).master;

/**
 * The rows of one statement read through `dataSource`'s pool with pg's callback form (sentWithCallback):
 * what `dataSource.query(text, values)` gives for a SELECT or an INSERT, without what pg's promise
 * form keeps alive.
 */
export async function rowsRead<T = Record<string, unknown>>(dataSource: DataSource, text: string, values?: readonly unknown[]): Promise<T[]> {
  return (await sentWithCallback<{ rows: T[] }>(poolOf(dataSource), text, values)).rows;
}

/**
 * The pg client a query runner sends its statements on (its transaction's connection): there once
 * the runner is connected (`runner.connect()`, or a transaction started).
 */
export const connectionOf = (runner: QueryRunner): CallbackQueryable => {
  const connection = (runner as unknown as { databaseConnection?: CallbackQueryable }).databaseConnection;
  if (!connection) throw new Error('The query runner is not connected: it has no connection to send a statement on');
  return connection;
};

/**
 * `text` through pg's callback form (sentWithCallback), answered as TypeORM's `query` of a query
 * runner or a data source answers it: the rows, or for an UPDATE or a DELETE [rows, how many];
 * an error of PostgreSQL's as TypeORM's QueryFailedError (pg's `code` and names copied onto it).
 * What a projection's `query` (its fold, its look-ups ahead, its flush) goes through, so that
 * callers written against TypeORM's answers see the same.
 */
export async function queriedWithCallback<T = unknown>(to: CallbackQueryable, text: string, values?: readonly unknown[]): Promise<T> {
  let result: { command?: string; rows?: unknown[]; rowCount?: number | null };
  try {
    result = await sentWithCallback(to, text, values);
  } catch (error) {
    throw error instanceof Error ? new QueryFailedError(text, values as unknown[] | undefined, error) : error;
  }
  return (result.command === 'UPDATE' || result.command === 'DELETE' ? [result.rows, result.rowCount] : result.rows) as T;
}
