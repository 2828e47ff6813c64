import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';

export const DEFAULT_SUPPRESS_BELOW = 5;
/** Not a projection table: an admin's setting, which a rebuild leaves alone. */
export const STATISTICS_SETTINGS_TABLE = `${READ_MODEL_SCHEMA}.statistics_settings`;

export interface SettingsView {
  suppressBelow: number;
  updatedAt: string;
  updatedBy: string | null;
}

/** The threshold of the settings' row (its `suppress_below`), the default where there is none (never set). */
export const thresholdOf = (suppressBelow: number | string | null | undefined): number =>
  suppressBelow === null || suppressBelow === undefined ? DEFAULT_SUPPRESS_BELOW : Number(suppressBelow);

/** The suppression threshold every statistic applies, and who set it when. */
export async function readSettings(dataSource: DataSource): Promise<SettingsView> {
  const [row] = await dataSource.query(
    `SELECT suppress_below, updated_at, updated_by FROM ${STATISTICS_SETTINGS_TABLE} WHERE id`,
  );
  if (!row) return { suppressBelow: thresholdOf(null), updatedAt: new Date(0).toISOString(), updatedBy: null };
  return { suppressBelow: thresholdOf(row.suppress_below), updatedAt: new Date(row.updated_at).toISOString(), updatedBy: row.updated_by };
}

/** The threshold an answer applies: `known` when already read (statistics-cache.ts reads it with the read model's version), else read now. */
export async function suppressionThreshold(dataSource: DataSource, known?: number): Promise<number> {
  return known ?? (await readSettings(dataSource)).suppressBelow;
}

export async function updateSettings(dataSource: DataSource, suppressBelow: number, actor: string): Promise<SettingsView> {
  await dataSource.query(
    `INSERT INTO ${STATISTICS_SETTINGS_TABLE} (id, suppress_below, updated_at, updated_by) VALUES (true, $1, now(), $2)
     ON CONFLICT (id) DO UPDATE SET suppress_below = EXCLUDED.suppress_below, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [suppressBelow, actor],
  );
  return readSettings(dataSource);
}
