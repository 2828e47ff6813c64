import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_EVENTS_TABLE } from '../flow-statistics.projection';

/**
 * A recording moment, UTC ISO with milliseconds (`2026-04-01T08:00:00.000Z`): the answer as the
 * events recorded by then give it. Null: every event recorded (the answer now).
 */
export type RecordedAsOf = string | null;

const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The rows of a flow-statistics table (stat_events, stat_dossier_periods) as recorded at the
 * moment, in brackets, to put where the table would be (give it an alias): those valid now, or
 * those holding at the moment on the recording axis (recorded-history.ts). The moment is written
 * into the statement, so a question's own parameters keep their numbers; it can only be a
 * normalized moment.
 */
export function recordedRows(table: string, at: RecordedAsOf): string {
  const rows = `${READ_MODEL_SCHEMA}.${table}`;
  if (at === null) return `(SELECT * FROM ${rows} WHERE recorded_to IS NULL)`;
  if (!MOMENT.test(at)) throw new Error(`not a normalized recording moment: ${at}`);
  return `(SELECT * FROM ${rows} WHERE recorded_from <= '${at}'::timestamptz AND (recorded_to IS NULL OR recorded_to > '${at}'::timestamptz))`;
}

/**
 * How far the answer's data reaches. Facts are recorded weeks after they happen, so a date past
 * the last business date anything is recorded on is not observed yet: its figures are incomplete
 * and say so rather than pass for observed ones (an empty read model: nothing is observed).
 */
export interface Recorded {
  /** The last business date anything is recorded on (by recordedAsOf); null when nothing is. */
  lastBusinessDate: string | null;
  /** The moment the answer is as recorded at; null: now. */
  recordedAsOf: RecordedAsOf;
}

export interface RecordedThrough extends Recorded {
  /** The answer's date (or its period's last day) lies after lastBusinessDate. */
  incomplete: boolean;
}

/** The last business date anything is recorded on (by the moment), or null when nothing is. */
export async function lastBusinessDate(dataSource: DataSource, at: RecordedAsOf = null): Promise<string | null> {
  const [row] = await dataSource.query(`SELECT max(occurred_on)::text AS last FROM ${recordedRows(STAT_EVENTS_TABLE, at)} AS e`);
  return (row?.last as string | null) ?? null;
}

/**
 * How far the data reaches: `known` when already read (now, once for the read model's version:
 * statistics-cache.ts), else read.
 */
export async function recorded(dataSource: DataSource, at: RecordedAsOf = null, known?: AnswerBasis | null): Promise<Recorded> {
  if (at === null && known) return { lastBusinessDate: known.lastBusinessDate, recordedAsOf: null };
  return { lastBusinessDate: await lastBusinessDate(dataSource, at), recordedAsOf: at };
}

/**
 * What every answer of one version of the read model and the settings shares, read once for that
 * version (statistics-cache.ts): the suppression threshold and the last business date recorded
 * now. An answer computed under the version takes them from here instead of a statement each
 * (bench/README.md, "Computed range answers (tenth session)").
 */
export interface AnswerBasis {
  readonly suppressBelow: number;
  readonly lastBusinessDate: string | null;
}

/** Whether figures up to `date` lie (partly) after the last business date recorded. */
export function incompleteOn(date: string, { lastBusinessDate: last }: Pick<Recorded, 'lastBusinessDate'>): boolean {
  return last === null || date > last;
}
