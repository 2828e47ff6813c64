import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, addMonths, daysBetween } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_EVENTS_TABLE } from '../flow-statistics.projection';
import { activeOn } from './active-on';
import { readSettings } from './settings';
import { rawStock, STOCK_HOUSING, type StockView } from './stock';
import { cell, type Cell } from './suppression';

const STAT_EVENTS = `${READ_MODEL_SCHEMA}.${STAT_EVENTS_TABLE}`;
const TRAILING_MONTHS = 6;
const DAYS_PER_MONTH = 365.25 / 12;

export interface OutlookScenario {
  endDate: string;
  /** The end date is today or before: what is recorded for it, not an outlook. */
  endDatePassed: boolean;
  kind: 'observed' | 'projection';
  method: Record<string, unknown> | null;
  active: Cell;
  byStage: Record<string, Cell>;
  byHousingType: Record<string, Cell>;
}

export interface OutlookView {
  lastBusinessDate: string | null;
  suppressBelow: number;
  scenarios: OutlookScenario[];
}

/** The last business date anything is recorded on, or null on an empty read model. */
export async function lastBusinessDate(dataSource: DataSource): Promise<string | null> {
  const [row] = await dataSource.query(`SELECT max(occurred_on)::text AS last FROM ${STAT_EVENTS}`);
  return (row?.last as string | null) ?? null;
}

/**
 * Dossiers still active at each end date. An end date up to the last recorded business date,
 * or one that has passed (today or before): observed, the stock recorded for that day. Beyond
 * both: the stock on the last business date shrunk by the trailing 6-month outflow rate,
 * compounded monthly, applied alike to every stage and housing type; labelled a projection with
 * its method. `endDatePassed` says which end dates are no outlook any more.
 */
export async function outlookAt(dataSource: DataSource, endDates: readonly string[], today: string, stockOn: (asOf: string) => Promise<StockView>): Promise<OutlookView> {
  const last = await lastBusinessDate(dataSource);
  const scenarios: OutlookScenario[] = [];
  for (const endDate of endDates) {
    const endDatePassed = endDate <= today;
    if (last === null || endDate <= last || endDatePassed) {
      const stock = await stockOn(endDate);
      scenarios.push({ endDate, endDatePassed, kind: 'observed', method: null, ...stockGroupOf(stock) });
      continue;
    }
    const base = await stockOn(last);
    const windowStart = addMonths(last, -TRAILING_MONTHS);
    const [departures] = await dataSource.query(
      `SELECT count(*)::int AS n FROM ${STAT_EVENTS} WHERE type = 'PersonLeft' AND occurred_on > $1::date AND occurred_on <= $2::date`,
      [windowStart, last],
    );
    const monthEnds = Array.from({ length: TRAILING_MONTHS }, (_, i) => addMonths(last, -i));
    const stocks = await activeOn(dataSource, monthEnds, 'none');
    const averageStock = stocks.reduce((sum, row) => sum + row.n, 0) / monthEnds.length;
    const monthlyRate = averageStock > 0 ? Math.min(1, departures.n / TRAILING_MONTHS / averageStock) : 0;
    const months = daysBetween(last, endDate) / DAYS_PER_MONTH;
    const factor = Math.pow(1 - monthlyRate, months);
    const raw = await rawStock(dataSource, last);
    const scale = (n: number) => Math.round(n * factor);
    const { suppressBelow } = base;
    const c = (n: number) => cell(scale(n), scale(n), suppressBelow);
    scenarios.push({
      endDate,
      endDatePassed,
      kind: 'projection',
      method: {
        description:
          `Active dossiers on ${last} (the last recorded business date) times (1 - r)^m, where r is the monthly ` +
          `outflow rate (departures in the ${TRAILING_MONTHS} months up to ${last}, per month, over the average ` +
          `active stock at those month ends) and m the months from ${last} to ${endDate}; every stage and housing ` +
          'type shrinks alike; no new arrivals are assumed. Rounded to whole dossiers.',
        basedOn: last,
        trailingMonths: TRAILING_MONTHS,
        departures: departures.n,
        averageStock: Math.round(averageStock * 10) / 10,
        monthlyOutflowRate: Math.round(monthlyRate * 10000) / 10000,
        months: Math.round(months * 100) / 100,
      },
      active: c(raw.active),
      byStage: Object.fromEntries(ACTIVE_STAGES.map((stage) => [stage, c(raw.stage.get(stage) ?? 0)])),
      byHousingType: Object.fromEntries(STOCK_HOUSING.map((type) => [type, c(raw.housing.get(type) ?? 0)])),
    });
  }
  return { lastBusinessDate: last, suppressBelow: (await readSettings(dataSource)).suppressBelow, scenarios };
}

function stockGroupOf(stock: StockView): Pick<OutlookScenario, 'active' | 'byStage' | 'byHousingType'> {
  const [group] = stock.groups;
  return { active: group.active, byStage: group.byStage, byHousingType: group.byHousingType };
}
