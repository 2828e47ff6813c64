import type { DataSource } from 'typeorm';
import { lastBusinessDate } from './outlook';

/**
 * How far the answer's data reaches. Facts are recorded weeks after they happen, so a date past
 * the last business date anything is recorded on is not observed yet: its figures are incomplete
 * and say so rather than pass for observed ones (an empty read model: nothing is observed).
 */
export interface Recorded {
  /** The last business date anything is recorded on; null on an empty read model. */
  lastBusinessDate: string | null;
}

export interface RecordedThrough extends Recorded {
  /** The answer's date (or its period's last day) lies after lastBusinessDate. */
  incomplete: boolean;
}

export async function recorded(dataSource: DataSource): Promise<Recorded> {
  return { lastBusinessDate: await lastBusinessDate(dataSource) };
}

/** Whether figures up to `date` lie (partly) after the last business date recorded. */
export function incompleteOn(date: string, { lastBusinessDate: last }: Recorded): boolean {
  return last === null || date > last;
}
