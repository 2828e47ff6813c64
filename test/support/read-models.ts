import type { DataSource } from 'typeorm';
import type { Projection } from '@app/projection-engine';

/**
 * Every table of these projections, rows in primary-key order (or in the order of all their columns): what a spec compares with the
 * tables a clean rebuild leaves, to show that nothing was skipped or applied twice.
 */
export async function readModels(dataSource: DataSource, projections: readonly Projection[]): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const projection of projections) {
    for (const table of projection.tables) {
      const key = (await dataSource.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [`read_models.${table}`],
      )) as Array<{ attname: string }>;
      // A table without one (flow statistics' staged events, unindexed) by all its columns.
      const order =
        key.length > 0
          ? key
          : ((await dataSource.query(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [
              `read_models.${table}`,
            ])) as Array<{ attname: string }>);
      tables[table] = await dataSource.query(`SELECT * FROM read_models.${table} ORDER BY ${order.map((k) => `"${k.attname}"`).join(', ')}`);
    }
  }
  return tables;
}
