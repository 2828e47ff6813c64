import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import type { FlowsView } from './flows';
import { funnelGroupSql, type FunnelView } from './funnel';
import { groupingOf, groupSql, personOn, placeKeyOf, type GroupBy, type GroupView } from './groups';
import type { OutlookView } from './outlook';
import type { Place } from './place';
import type { StockView } from './stock';
import { cell, type Cell } from './suppression';

/** Keys of an answer that are not numbers: what a number is about. */
const NOT_MEASURES = new Set(['group', 'step', 'endDate', 'endDatePassed', 'kind', 'method']);

/** One number of an answer: its series (the key in the JSON answer), its category (a breakdown's part; '' for a total or a number on its own), the cell. */
export type SeriesCell = [series: string, category: string, cell: Cell];

/** The numbers of a part of an answer (a group, a funnel step), flattened: the CSV's rows and the revisions' cells. */
export function seriesCells(object: Record<string, unknown>, series = ''): SeriesCell[] {
  const cells: SeriesCell[] = [];
  for (const [key, value] of Object.entries(object)) {
    // A measure that does not apply (a rate of the first funnel step) is null: no number.
    if (NOT_MEASURES.has(key) || value === null) continue;
    const v = value as Record<string, unknown>;
    if (typeof v.suppressed === 'boolean') {
      cells.push(series ? [series, key === 'total' ? '' : key, v as unknown as Cell] : [key, '', v as unknown as Cell]);
    } else {
      // A breakdown: { total, byX: { category: cell } } or { category: cell }.
      cells.push(...seriesCells(v, series || key));
    }
  }
  return cells;
}

export const REVISION_QUESTIONS = ['stock', 'flows', 'funnel', 'outlook'] as const;
export type RevisionQuestion = (typeof REVISION_QUESTIONS)[number];

/** A number of an answer with what it is about (`cell`), the business date it is of, and its group. */
interface DatedCell {
  cell: Record<string, unknown>;
  date: string;
  group: GroupView | null;
  value: Cell;
}

const about = (group: GroupView | null, [series, category]: SeriesCell) => ({ group, series, category: category || null });

/** Each question's numbers, each with what it is about and the date it is of. */
const CELLS: Record<RevisionQuestion, (view: never) => DatedCell[]> = {
  stock: (view: StockView) =>
    view.groups.flatMap(({ group, ...numbers }) =>
      seriesCells(numbers).map((number) => ({ cell: { asOf: view.asOf, ...about(group, number) }, date: view.asOf, group, value: number[2] })),
    ),
  flows: (view: FlowsView) =>
    view.periods.flatMap((period) =>
      period.groups.flatMap(({ group, ...numbers }) =>
        seriesCells(numbers).map((number) => ({
          cell: { period: period.period, start: period.start, end: period.end, ...about(group, number) },
          date: period.end,
          group,
          value: number[2],
        })),
      ),
    ),
  funnel: (view: FunnelView) =>
    [{ group: null, steps: view.steps }, ...view.groups].flatMap(({ group, steps }) =>
      steps.flatMap((step) =>
        seriesCells(step as unknown as Record<string, unknown>).map(([series, , value]) => ({
          cell: { asOf: view.asOf, group, step: step.step, series },
          date: view.asOf,
          group,
          value,
        })),
      ),
    ),
  outlook: (view: OutlookView) =>
    view.scenarios.flatMap((scenario) =>
      scenario.groups.flatMap(({ group, ...numbers }) =>
        seriesCells(numbers).map((number) => ({ cell: { endDate: scenario.endDate, ...about(group, number) }, date: scenario.endDate, group, value: number[2] })),
      ),
    ),
};

/** Series that are no count: a number missing from one answer is no number there (null), where a count's is 0. */
const NOT_COUNTS = new Set(['rateFromPrevious', 'rateFromRegistered', 'medianDaysFromPrevious']);

/** Cells compare as the answers show them: two suppressed cells are alike, whatever they hide. */
const alike = (a: Cell, b: Cell) => (a.suppressed && b.suppressed) || (a.suppressed === b.suppressed && a.value === b.value);

export interface Revision {
  cell: Record<string, unknown>;
  before: Cell;
  after: Cell;
  /** after − before; null when either is suppressed or no number. */
  change: number | null;
  /** The late events that may have changed the cell (docs/statistics.md): suppressed on their persons. */
  lateEvents: Cell;
}

export interface RevisionsView {
  question: RevisionQuestion;
  from: string;
  to: string;
  /** The question's own parameters, as answered. */
  parameters: Record<string, unknown>;
  suppressBelow: number;
  changes: Revision[];
  /** Every event recorded in (from, to] with a business date up to the answer's last date, suppressed on its persons. */
  lateEvents: Cell;
}

/**
 * Which cells of a question's answer differ between two recording moments: the answer as recorded
 * at `from` and at `to` (each suppressed as any answer is), compared cell by cell as shown, with
 * the late events behind each change.
 */
export async function revisionsOf(
  dataSource: DataSource,
  question: RevisionQuestion,
  from: string,
  to: string,
  groupBy: GroupBy,
  place: Place,
  answers: { before: unknown; after: unknown; suppressBelow: number },
): Promise<Omit<RevisionsView, 'parameters'>> {
  const cellsOf = CELLS[question] as (view: unknown) => DatedCell[];
  const key = (c: DatedCell) => JSON.stringify(c.cell);
  const before = new Map(cellsOf(answers.before).map((c) => [key(c), c]));
  const after = new Map(cellsOf(answers.after).map((c) => [key(c), c]));
  const missing = (c: DatedCell): Cell => ({ value: NOT_COUNTS.has(c.cell.series as string) ? null : 0, suppressed: false });
  const changed: Array<{ at: DatedCell; before: Cell; after: Cell }> = [];
  for (const [k, at] of after) {
    const then = before.get(k)?.value ?? missing(at);
    if (!alike(then, at.value)) changed.push({ at, before: then, after: at.value });
  }
  for (const [k, at] of before) if (!after.has(k) && !alike(at.value, missing(at))) changed.push({ at, before: at.value, after: missing(at) });
  const lastDate = [...before.values(), ...after.values()].map((c) => c.date).sort().at(-1) ?? null;
  const late = await lateEventsBehind(dataSource, question, from, to, groupBy, place, [...changed.map(({ at }) => at), ...(lastDate ? [{ date: lastDate, group: null }] : [])]);
  const lateCell = (at: Pick<DatedCell, 'date' | 'group'>) => {
    const { events, persons } = late.get(lateKey(at.date, at.group)) ?? { events: 0, persons: 0 };
    return cell(events, persons, answers.suppressBelow);
  };
  return {
    question,
    from,
    to,
    suppressBelow: answers.suppressBelow,
    changes: changed.map(({ at, before: was, after: is }) => ({
      cell: at.cell,
      before: was,
      after: is,
      change: was.suppressed || is.suppressed || was.value === null || is.value === null ? null : Math.round((is.value - was.value) * 1e6) / 1e6,
      lateEvents: lateCell(at),
    })),
    lateEvents: lastDate ? lateCell({ date: lastDate, group: null }) : cell(0, 0, answers.suppressBelow),
  };
}

/**
 * A cell's date and group as the SQL below keys them: every group '*'; else place, sex and age band
 * ('' for none, or Brussels' null province; the persons not housed by their own key, not Brussels').
 */
const lateKey = (date: string, group: GroupView | null) => `${date}|${group === null ? '*' : `${placeKeyOf(group)}|${group.sex ?? ''}|${group.ageBand ?? ''}`}`;

/**
 * The late events behind cells: for each (date, group), the events recorded in (from, to] with a
 * business date on or before the date, of the dossiers in that group on that date as recorded at
 * `from` or at `to` (a period of theirs on that date whose place on the map, sex and age band on
 * that date are the group's, as the questions group them: groupSql, the funnel by registration
 * by the place of its DossierRegistered; every dossier registered by then for no group), with
 * their distinct dossiers.
 */
async function lateEventsBehind(
  dataSource: DataSource,
  question: RevisionQuestion,
  from: string,
  to: string,
  groupBy: GroupBy,
  place: Place,
  cells: ReadonlyArray<Pick<DatedCell, 'date' | 'group'>>,
): Promise<Map<string, { events: number; persons: number }>> {
  const wanted = new Map(cells.map((c) => [lateKey(c.date, c.group), c]));
  if (wanted.size === 0) return new Map();
  const days = [...wanted.values()].map((c) => c.date);
  const groups = [...wanted.keys()].map((k) => k.slice(k.indexOf('|') + 1));
  const params: unknown[] = [from, to, days, groups];
  const grouping = groupingOf(groupBy);
  // The funnel's groups as the funnel reads them (by registration, the registration's place); every other question's by the period's.
  const { columns, join, placedBy } = question === 'funnel' ? funnelGroupSql(grouping, place, params) : { ...groupSql(grouping, place, params, 'p.'), placedBy: 'p' };
  const registration =
    placedBy === 'r'
      ? `JOIN ${READ_MODEL_SCHEMA}.${STAT_EVENTS_TABLE} r ON r.dossier_id = p.dossier_id AND r.type = 'DossierRegistered' AND r.recorded_to IS NULL`
    : '';
  const validAt = (moment: string) => `(p.recorded_from <= ${moment} AND (p.recorded_to IS NULL OR p.recorded_to > ${moment}))`;
  const rows = (await dataSource.query(
    `WITH cells AS (SELECT day, grp FROM unnest($3::date[], $4::text[]) AS c(day, grp)),
          late AS (SELECT dossier_id, occurred_on FROM ${READ_MODEL_SCHEMA}.${STAT_EVENTS_TABLE}
                    WHERE recorded_to IS NULL AND recorded_at > $1::timestamptz AND recorded_at <= $2::timestamptz)
     SELECT c.day::text AS day, c.grp, count(*)::int AS events, count(DISTINCT l.dossier_id)::int AS persons
       FROM cells c JOIN late l ON l.occurred_on <= c.day
      WHERE EXISTS (SELECT 1
                      FROM (SELECT ${columns} FROM ${READ_MODEL_SCHEMA}.${STAT_PERIODS_TABLE} p ${personOn(grouping, 'p.dossier_id', 'c.day')} ${registration} ${join}
                             WHERE p.dossier_id = l.dossier_id AND p.valid_from <= c.day AND (p.valid_to IS NULL OR p.valid_to > c.day)
                               AND (${validAt('$1::timestamptz')} OR ${validAt('$2::timestamptz')})) AS g
                     WHERE c.grp = '*' OR coalesce(g.grp, '') || '|' || coalesce(g.grp_sex, '') || '|' || coalesce(g.grp_band, '') = c.grp)
      GROUP BY c.day, c.grp`,
    params,
  )) as Array<{ day: string; grp: string; events: number; persons: number }>;
  return new Map(rows.map((row) => [`${row.day}|${row.grp}`, { events: row.events, persons: row.persons }]));
}
