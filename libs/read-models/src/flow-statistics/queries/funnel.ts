import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, daysBetween, type ActiveStage } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { readSettings } from './settings';
import { cell, type Cell } from './suppression';

const STAT_EVENTS = `${READ_MODEL_SCHEMA}.${STAT_EVENTS_TABLE}`;
const STAT_PERIODS = `${READ_MODEL_SCHEMA}.${STAT_PERIODS_TABLE}`;

export interface FunnelView {
  cohort: string;
  asOf: string;
  /** The cut: only the cohort's persons with this residence status on asOf; null for the whole cohort. */
  residenceStatus: string | null;
  suppressBelow: number;
  steps: Array<{
    step: ActiveStage;
    /** Reached this step and every earlier one. */
    count: Cell;
    /** Reached this step by asOf, whatever the earlier steps. */
    reachedAtAll: Cell;
    rateFromPrevious: Cell | null;
    rateFromRegistered: Cell | null;
    medianDaysFromPrevious: Cell | null;
  }>;
}

/**
 * The registration cohort of one month: how many reached each step of registered → housed →
 * inburgering → VDAB → employed by asOf. A step counts once every earlier step is reached too,
 * on the latest of their first dates, so the funnel only narrows and no interval is negative.
 * With a residence status, only the persons who have it on asOf (left or not: a departure keeps
 * the status the person left with) make up the cohort.
 */
export async function funnelOf(
  dataSource: DataSource,
  asOf: string,
  cohortStart: string,
  cohortEnd: string,
  residenceStatus: string | null = null,
): Promise<FunnelView> {
  const { suppressBelow } = await readSettings(dataSource);
  const rows = (await dataSource.query(
    `SELECT dossier_id,
            min(occurred_on) FILTER (WHERE type = 'DossierRegistered')::text AS registered,
            min(occurred_on) FILTER (WHERE type = 'PersonHoused')::text AS housed,
            min(occurred_on) FILTER (WHERE type = 'InburgeringEnrolled')::text AS inburgering,
            min(occurred_on) FILTER (WHERE type = 'VdabRegistered')::text AS vdab,
            min(occurred_on) FILTER (WHERE type = 'EmploymentStarted')::text AS employed
       FROM ${STAT_EVENTS}
      WHERE occurred_on <= $1::date
        AND dossier_id IN (SELECT dossier_id FROM ${STAT_EVENTS}
                            WHERE type = 'DossierRegistered' AND occurred_on BETWEEN $2::date AND $3::date)
        AND ($4::text IS NULL OR dossier_id IN (SELECT dossier_id FROM ${STAT_PERIODS}
                                                 WHERE residence_status = $4 AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)))
      GROUP BY dossier_id`,
    [asOf, cohortStart, cohortEnd, residenceStatus],
  )) as Array<Record<ActiveStage, string | null>>;
  const reached: number[] = ACTIVE_STAGES.map(() => 0);
  const reachedAtAll: number[] = ACTIVE_STAGES.map(() => 0);
  const waits: number[][] = ACTIVE_STAGES.map(() => []);
  for (const row of rows) {
    for (const [index, step] of ACTIVE_STAGES.entries()) if (row[step]) reachedAtAll[index]++;
    let previous: string | null = null;
    for (const [index, step] of ACTIVE_STAGES.entries()) {
      const first = row[step];
      if (!first) break;
      const on: string = previous && previous > first ? previous : first;
      reached[index]++;
      if (previous) waits[index].push(daysBetween(previous, on));
      previous = on;
    }
  }
  const c = (n: number) => cell(n, n, suppressBelow);
  return {
    cohort: cohortStart.slice(0, 7),
    asOf,
    residenceStatus,
    suppressBelow,
    steps: ACTIVE_STAGES.map((step, index) => {
      const count = reached[index];
      const hidden = count > 0 && count < suppressBelow;
      const before = index === 0 ? count : reached[index - 1];
      const beforeHidden = before > 0 && before < suppressBelow;
      const ratio = (n: number, d: number, secret: boolean): Cell =>
        secret ? { value: null, suppressed: true } : { value: d === 0 ? null : Math.round((n / d) * 1000) / 1000, suppressed: false };
      return {
        step,
        count: c(count),
        reachedAtAll: c(reachedAtAll[index]),
        rateFromPrevious: index === 0 ? null : ratio(count, before, hidden || beforeHidden),
        rateFromRegistered: index === 0 ? null : ratio(count, reached[0], hidden || (reached[0] > 0 && reached[0] < suppressBelow)),
        medianDaysFromPrevious:
          index === 0 ? null : hidden ? { value: null, suppressed: true } : { value: median(waits[index]), suppressed: false },
      };
    }),
  };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
