import type { DataSource } from 'typeorm';
import { ACTIVE_STAGES, daysBetween, endOfMonth, type ActiveStage } from '@app/domain';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { reachDates, STEP_EVENTS } from '../funnel-steps';
import { recordedRows, type RecordedAsOf } from './recorded';
import { suppressionThreshold } from './settings';
import { funnelWaitStatistic, WAIT_BAND_DAYS, waitBand, type DateCountLevel } from '../aggregates';
import { dateCountLevel, groupRowOf, readingCounts } from './date-counts';
import { byGroup, groupingOf, groupSql, groupView, keyOf, personOn, type GroupBy, type Grouping, type GroupRow, type GroupView } from './groups';
import type { Place, PlaceEcho } from './place';
import { cell, type Cell, type Suppressed } from './suppression';


export interface FunnelStep {
  step: ActiveStage;
  /** Reached this step and every earlier one. */
  count: Cell;
  /** Reached this step by asOf, whatever the earlier steps. */
  reachedAtAll: Cell;
  /** count over the previous step's count; the first step's is 1 (null when nobody is in the cohort). */
  rateFromPrevious: Cell;
  /** count over the registered count; the first step's is 1 (null when nobody is in the cohort). */
  rateFromRegistered: Cell;
  /** null for the first step: there is no step before it. */
  medianDaysFromPrevious: Cell | null;
}

export interface FunnelView extends PlaceEcho {
  /** The registration month when the cohort is one month; null for a range or every cohort. */
  cohort: string | null;
  /** The first and last registration months of the cohort; null: open on that side. */
  cohortFrom: string | null;
  cohortTo: string | null;
  asOf: string;
  /** The cut: only the cohort's persons with this residence status on asOf; null for the whole cohort. */
  residenceStatus: string | null;
  groupBy: GroupBy;
  suppressBelow: number;
  /** The whole cohort. */
  steps: FunnelStep[];
  /** The cohort per province or municipality of registration; empty without groupBy. */
  groups: Array<{ group: GroupView | null; steps: FunnelStep[] }>;
}

/** A funnel's question (funnelOf). */
export interface FunnelQuestion {
  asOf: string;
  /** The cohort's first and last registration dates; null: open on that side. */
  cohortStart: string | null;
  cohortEnd: string | null;
  /** Cuts the cohort to the persons with this residence status on asOf; null: the whole cohort. */
  residenceStatus: string | null;
  groupBy: GroupBy;
  place: Place;
  /** As recorded at this moment; null or left out: now. */
  recordedAsOf?: RecordedAsOf;
}

/** The first dates on which one person reached each step by asOf, and the person's group (where they registered, their sex and age band on asOf). */
type FirstDates = Record<ActiveStage, string | null> & GroupRow;

/**
 * A registration cohort (one month, a range of months, or every month): how many reached each
 * step of registered → housed → inburgering → VDAB → employed by asOf. A step counts once every
 * earlier step is reached too, on the latest of their first dates, so the funnel only narrows
 * and no interval is negative. With a residence status, only the persons who have it on asOf
 * (left or not: a departure keeps the status the person left with) make up the cohort. With
 * groupBy, each province or municipality of registration (the registration's, as the stock
 * groups by), and each sex and age band on asOf, has a funnel of its own, suppressed on its own counts.
 */
export async function funnelOf(dataSource: DataSource, question: FunnelQuestion, fromEvents = false, knownThreshold?: number): Promise<Suppressed<FunnelView>> {
  const { asOf, cohortStart, cohortEnd, residenceStatus, groupBy, place, recordedAsOf = null } = question;
  const grouping = groupingOf(groupBy);
  const whole = (cohortStart === null || cohortStart.endsWith('-01')) && (cohortEnd === null || cohortEnd === endOfMonth(cohortEnd));
  const level = fromEvents || residenceStatus !== null || !whole ? null : dateCountLevel(grouping, place, recordedAsOf);
  // The threshold and the tallies read at once (flows.ts's flowsIn).
  const [threshold, { total, groups }] = await Promise.all([
    suppressionThreshold(dataSource, knownThreshold),
    level === null ? talliesFromEvents(dataSource, question, grouping) : talliesFromDateCounts(dataSource, question, level),
  ]);
  const month = (date: string | null) => date?.slice(0, 7) ?? null;
  const oneMonth = cohortStart !== null && cohortEnd !== null && month(cohortStart) === month(cohortEnd);
  const at = (suppressBelow: number): FunnelView => ({
    cohort: oneMonth ? month(cohortStart) : null,
    cohortFrom: month(cohortStart),
    cohortTo: month(cohortEnd),
    asOf,
    residenceStatus,
    groupBy,
    map: place.map,
    by: place.by,
    suppressBelow,
    steps: stepCells(total, suppressBelow),
    groups:
      groupBy === 'none'
        ? []
        : [...groups].sort((a, b) => byGroup(a.row, b.row)).map(({ row, tallies }) => ({ group: groupView(grouping, row, place.map), steps: stepCells(tallies, suppressBelow) })),
  });
  return { view: at(threshold), unsuppressed: () => at(0) };
}

/**
 * The select list and joins of a dossier's group in a funnel (groupSql) and the row its place is
 * read from (`placedBy`, null without a place to group by): by registration, its
 * DossierRegistered row of stat_events as `r` (where it registered: a reopening elsewhere does not
 * move it, as it moves the period's place); by housing, its period on the date as `p` (where the
 * person is housed then). The funnel's groups and the late events behind a funnel's cells
 * (revisions.ts) both read them here.
 */
export function funnelGroupSql(grouping: Grouping, place: Place, params: unknown[]): { columns: string; join: string; placedBy: 'r' | 'p' | null } {
  const placedBy = grouping.place === null ? null : place.by === 'housing' ? 'p' : 'r';
  return { ...groupSql(grouping, place, params, placedBy === null ? '' : `${placedBy}.`), placedBy };
}

/** A funnel's numbers for the whole cohort and per group (a group with anyone in the cohort). */
interface FunnelTallies {
  total: StepTallies;
  groups: Array<{ row: GroupRow; tallies: StepTallies }>;
}

/** The funnel's numbers from each person's first dates by asOf, read from the events. */
async function talliesFromEvents(
  dataSource: DataSource,
  { asOf, cohortStart, cohortEnd, residenceStatus, place, recordedAsOf = null }: FunnelQuestion,
  grouping: Grouping,
): Promise<FunnelTallies> {
  const events = recordedRows(STAT_EVENTS_TABLE, recordedAsOf);
  const params: unknown[] = [asOf, cohortStart, cohortEnd, residenceStatus];
  const { columns, join, placedBy } = funnelGroupSql(grouping, place, params);
  const housedOn = placedBy === 'p' ? `JOIN ${recordedRows(STAT_PERIODS_TABLE, recordedAsOf)} p ON p.dossier_id = r.dossier_id AND p.valid_from <= $1::date AND (p.valid_to IS NULL OR p.valid_to > $1::date)` : '';
  const rows = (await dataSource.query(
    `WITH cohort AS (
       SELECT r.dossier_id, ${columns} FROM ${events} r ${housedOn} ${personOn(grouping, 'r.dossier_id', '$1::date')} ${join}
        WHERE r.type = 'DossierRegistered' AND r.occurred_on <= $1::date
          AND ($2::date IS NULL OR r.occurred_on >= $2::date) AND ($3::date IS NULL OR r.occurred_on <= $3::date))
     SELECT e.dossier_id, c.grp, c.grp_sex, c.grp_band,
            ${ACTIVE_STAGES.map((step) => `min(e.occurred_on) FILTER (WHERE e.type = '${STEP_EVENTS[step]}')::text AS ${step}`).join(', ')}
       FROM ${events} e JOIN cohort c USING (dossier_id)
      WHERE e.occurred_on <= $1::date
        AND ($4::text IS NULL OR e.dossier_id IN (SELECT dossier_id FROM ${recordedRows(STAT_PERIODS_TABLE, recordedAsOf)} AS p
                                                   WHERE residence_status = $4 AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date)))
      GROUP BY e.dossier_id, c.grp, c.grp_sex, c.grp_band`,
    params,
  )) as FirstDates[];
  const byGroupKey = new Map<string, FirstDates[]>();
  for (const row of rows) {
    const members = byGroupKey.get(keyOf(row));
    if (members) members.push(row);
    else byGroupKey.set(keyOf(row), [row]);
  }
  return { total: tallyOf(rows), groups: [...byGroupKey.values()].map((members) => ({ row: members[0], tallies: tallyOf(members) })) };
}

/**
 * The funnel's numbers from the counts kept per day (stat_date_counts, aggregates/date-counts.ts:
 * per registration month and place, `count:0`, `atAll:i` and the waits per band, `band:i:<band>`,
 * whose sum is step i's count, on the day they happen) summed up to asOf over the cohort's
 * months, for a question they answer (date-counts.ts; a cohort of whole months, no residence
 * status). A median needs the waits to the day in the band (or two) holding its middle only:
 * they are read second, for the bands the whole cohort's and each group's medians fall in
 * (funnel-wait:i:<band>), in the same snapshot.
 */
async function talliesFromDateCounts(dataSource: DataSource, { asOf, cohortStart, cohortEnd }: FunnelQuestion, level: DateCountLevel): Promise<FunnelTallies> {
  const cohorts = { from: cohortStart?.slice(0, 7) ?? null, to: cohortEnd?.slice(0, 7) ?? null };
  return readingCounts(dataSource, async (read) => {
    const total = noTallies();
    const groups = new Map<string, { row: GroupRow; tallies: StepTallies }>();
    const talliesOf = (grp: string) => {
      const row = groupRowOf(level, grp);
      return [total, (groups.get(keyOf(row)) ?? groups.set(keyOf(row), { row, tallies: noTallies() }).get(keyOf(row))!).tallies];
    };
    // The cohort's months added up by PostgreSQL: the funnel is of the whole cohort. Per step,
    // each tally's waits per band, then to the day in the middle bands' reads (any tally's).
    const [bands, days] = [0, 1].map(() => ACTIVE_STAGES.map(() => new Map<StepTallies, Map<number, number>>()));
    const waitsIn = (of: Map<StepTallies, Map<number, number>>, tallies: StepTallies) => of.get(tallies) ?? of.set(tallies, new Map()).get(tallies)!;
    for (const { grp, measure, n } of (await read('funnel', level, [asOf], cohorts, null, false)).get(asOf)!) {
      const [kind, step, band] = measure.split(':');
      for (const tallies of talliesOf(grp)) {
        if (kind === 'count') tallies.reached[Number(step)] += n;
        else if (kind === 'atAll') tallies.reachedAtAll[Number(step)] += n;
        else if (kind === 'band') {
          // A later step's count is the sum of its bands (aggregates/date-counts.ts: DateCountContributions.add).
          tallies.reached[Number(step)] += n;
          addWaits(waitsIn(bands[Number(step)], tallies), Number(band), n);
        }
      }
    }
    const middle = bands.flatMap((of, step) => [...of.values()].flatMap((counts) => [...middleBands(counts)].map((band) => funnelWaitStatistic(step, band))));
    if (middle.length > 0) {
      for (const { grp, measure, n } of (await read([...new Set(middle)], level, [asOf], cohorts, null, false)).get(asOf)!) {
        const [, step, wait] = measure.split(':');
        for (const tallies of talliesOf(grp)) addWaits(waitsIn(days[Number(step)], tallies), Number(wait), n);
      }
    }
    for (const [step, of] of bands.entries()) for (const [tallies, counts] of of) tallies.waits[step] = waitsFromBands(counts, waitsIn(days[step], tallies));
    return { total, groups: [...groups.values()].filter((group) => group.tallies.reached[0] > 0) };
  });
}

/** The funnel's numbers of some persons' first dates (by asOf). */
function tallyOf(rows: readonly FirstDates[]): StepTallies {
  const { reached, reachedAtAll, waits } = noTallies();
  for (const row of rows) {
    for (const [index, step] of ACTIVE_STAGES.entries()) if (row[step]) reachedAtAll[index]++;
    const on = reachDates(row);
    for (const [index, date] of on.entries()) {
      if (!date) break;
      reached[index]++;
      if (index > 0) addWaits(waits[index], daysBetween(on[index - 1]!, date), 1);
    }
  }
  return { reached, reachedAtAll, waits };
}

/**
 * A funnel's numbers per step (ACTIVE_STAGES' order): how many reached it (and every earlier one),
 * how many reached it at all, and the waits from the step before, as how many persons waited
 * each number of days: bounded by the calendar, where a list of every person's wait grew with the
 * cohort.
 */
export interface StepTallies {
  reached: number[];
  reachedAtAll: number[];
  waits: Array<Map<number, number>>;
}

const noTallies = (): StepTallies => ({ reached: ACTIVE_STAGES.map(() => 0), reachedAtAll: ACTIVE_STAGES.map(() => 0), waits: ACTIVE_STAGES.map(() => new Map()) });

/** `persons` more who waited `days`. */
const addWaits = (waits: Map<number, number>, days: number, persons: number) => waits.set(days, (waits.get(days) ?? 0) + persons);

/** A funnel's cells from its numbers, small counts and what derives from them suppressed. */
export function stepCells({ reached, reachedAtAll, waits }: StepTallies, suppressBelow: number): FunnelStep[] {
  const c = (n: number) => cell(n, n, suppressBelow);
  const secret = (n: number) => n > 0 && n < suppressBelow;
  const ratio = (n: number, d: number, hidden: boolean): Cell =>
    hidden ? { value: null, suppressed: true } : { value: d === 0 ? null : Math.round((n / d) * 1000) / 1000, suppressed: false };
  return ACTIVE_STAGES.map((step, index) => {
    const count = reached[index];
    const hidden = secret(count);
    // The first step over itself: 1 for a cohort with anyone in it, as every later step's rate is a share of its predecessor.
    const before = index === 0 ? count : reached[index - 1];
    return {
      step,
      count: c(count),
      reachedAtAll: c(reachedAtAll[index]),
      rateFromPrevious: ratio(count, before, hidden || secret(before)),
      rateFromRegistered: ratio(count, reached[0], hidden || secret(reached[0])),
      medianDaysFromPrevious: index === 0 ? null : hidden ? { value: null, suppressed: true } : { value: medianOfCounts(waits[index]), suppressed: false },
    };
  });
}

/** The bands (of waits kept in bands: band -> persons) that hold their median's middle values. */
export const middleBands = (bands: ReadonlyMap<number, number>): Set<number> => new Set(middleOfCounts(bands) ?? []);

/**
 * The waits a median is taken from (medianOfCounts), from waits kept in bands (band -> persons)
 * and to the day (days -> persons) for their middle bands (middleBands; the days of other bands
 * are left out): each other band as one value inside it, as many times as it holds waits. The
 * median is in the middle bands; the others only place it, and one value per band places it as
 * well as all of its days would. funnel.spec.ts holds the median equal to that of every wait.
 */
export function waitsFromBands(bands: ReadonlyMap<number, number>, days: ReadonlyMap<number, number>): Map<number, number> {
  const middle = middleBands(bands);
  const waits = new Map([...days].filter(([wait]) => middle.has(waitBand(wait))));
  for (const [band, n] of bands) if (!middle.has(band)) addWaits(waits, band * WAIT_BAND_DAYS, n);
  return waits;
}

/**
 * After secondary suppression hid more counts (tables.ts): a rate or a wait derived from a hidden
 * count is hidden too, as stepsOf hides those of a small count.
 */
export function hideDerived(steps: readonly FunnelStep[]): void {
  const hide = (cell: Cell | null) => cell && Object.assign(cell, { value: null, suppressed: true });
  steps.forEach((step, index) => {
    if (step.count.suppressed || steps[Math.max(0, index - 1)].count.suppressed) hide(step.rateFromPrevious);
    if (step.count.suppressed || steps[0].count.suppressed) hide(step.rateFromRegistered);
    if (step.count.suppressed) hide(step.medianDaysFromPrevious);
  });
}

/**
 * The median of the values counted in `counts` (value -> how many times; a count of 0 or less
 * adds nothing): the median of the list holding each value that many times (the middle value of
 * the sorted list, the mean of the two middle ones for an even length; null for none), in one
 * walk over the distinct values. The one median of the funnel, from the events and from the kept
 * counts alike; funnel.spec.ts holds it equal to the list's (@app/testing medianOf).
 */
export function medianOfCounts(counts: ReadonlyMap<number, number>): number | null {
  const middle = middleOfCounts(counts);
  return middle && (middle[0] + middle[1]) / 2;
}

/**
 * The middle values of the list holding each value of `counts` that many times (medianOfCounts):
 * the middle one twice for an odd length, the two middle ones for an even length; null for none.
 */
export function middleOfCounts(counts: ReadonlyMap<number, number>): [number, number] | null {
  let length = 0;
  // Each distinct value with the length of the sorted list up to and including its copies.
  const upTo = [...counts]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([value, n]) => [value, (length += n)] as const);
  if (length === 0) return null;
  const valueAt = (position: number) => upTo.find(([, end]) => end > position)![0];
  const middle = Math.floor(length / 2);
  return [valueAt(length % 2 ? middle : middle - 1), valueAt(middle)];
}
