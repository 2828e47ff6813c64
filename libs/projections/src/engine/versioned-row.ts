import type { ProjectionContext } from './projection';

/** Column name → value of one row of a per-dossier read model. */
export type Columns = Record<string, unknown>;

/**
 * Writes what one event changes in a per-dossier row (key dossier_id), guarded by the row's
 * `version` column so that an event applied twice changes nothing. An event that `creates` the
 * row (a registration, which starts the state afresh) inserts it or replaces every column;
 * any other event only updates a row that exists, as evolve() ignores events before a registration.
 */
export async function writeVersionedRow(
  context: ProjectionContext,
  table: string,
  row: Columns & { dossier_id: string; version: number },
  creates: boolean,
): Promise<void> {
  const qualified = `${context.schema}.${table}`;
  const { dossier_id, version, ...changes } = row;
  const names = ['dossier_id', 'version', ...Object.keys(changes)];
  const values = [dossier_id, version, ...Object.values(changes)];
  if (creates) {
    const placeholders = names.map((_, index) => `$${index + 1}`);
    const updates = names.slice(1).map((name) => `${name} = EXCLUDED.${name}`);
    await context.query(
      `INSERT INTO ${qualified} (${names.join(', ')}) VALUES (${placeholders.join(', ')})
       ON CONFLICT (dossier_id) DO UPDATE SET ${updates.join(', ')}
       WHERE ${table}.version < EXCLUDED.version`,
      values,
    );
    return;
  }
  const updates = names.slice(1).map((name, index) => `${name} = $${index + 2}`);
  await context.query(`UPDATE ${qualified} SET ${updates.join(', ')} WHERE dossier_id = $1 AND version < $2`, values);
}
