import type { DataSource } from 'typeorm';
import { STAT_EVENTS_TABLE, STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { recordedRows, type RecordedAsOf } from './recorded';
import { byGroup, byPerson, GROUP_DIMENSIONS, groupingOf, groupView, personOn, placeOf, readGroupBy, type GroupBy, type GroupRow, type GroupView, type Grouping } from './groups';
import { REGISTRATION_AS_RECORDED, type Place, type PlaceEcho } from './place';
import { vdabMeasure, type DateCountLevel } from '../aggregates';
import { countCellsOn, dateCountLevel, groupRowOf } from './date-counts';
import type { Interval } from './periods';
import { suppressionThreshold } from './settings';
import { personsBreakdown, type Cell, type Suppressed } from './suppression';


/**
 * Whom VDAB's pair counts. `all` (VDAB's own reading: "between 1 March 2022 and 31 December
 * 2024, 19,124 Ukrainians registered at VDAB … 10,072 helped to a job (52.7%), 6,678 still
 * working (34.9%)"): every person registered at VDAB by the date, whether still here or gone;
 * `active`: only those whose dossier is active on the date.
 */
export const VDAB_POPULATIONS = ['all', 'active'] as const;
export type VdabPopulation = (typeof VDAB_POPULATIONS)[number];

/**
 * What VDAB's pair is cut by: groupBy's dimensions as every statistic reads them (groups.ts: a
 * place of registration, sex, age band on the pair's date), and its own: the registration
 * cohort (the year of the VDAB registration). Any combination, in that order (`province,cohort`).
 */
export const VDAB_DIMENSIONS = [...GROUP_DIMENSIONS, 'cohort'] as const;

/** A groupBy of VDAB's pair as written, in the form answers repeat, or the rule it breaks (readGroupBy's). */
export const readVdabGroupBy = (text: string) => readGroupBy(text, ['cohort']);

/** Each groupBy's grouping, worked out once (a few dozen groupBys are valid; vdabPoint asks 48 times an answer of 48 month ends). */
const VDAB_GROUPINGS = new Map<GroupBy, Readonly<Grouping & { cohort: boolean }>>();

/** The grouping a VDAB groupBy (as answers repeat it) stands for: groupingOf's, and whether it cuts by cohort too. */
export function vdabGrouping(groupBy: GroupBy): Readonly<Grouping & { cohort: boolean }> {
  let grouping = VDAB_GROUPINGS.get(groupBy);
  if (grouping === undefined) VDAB_GROUPINGS.set(groupBy, (grouping = Object.freeze({ ...groupingOf(groupBy), cohort: groupBy.split(',').includes('cohort') })));
  return grouping;
}

/** A group of the pair: the place (nis, name), sex, ageBand as every statistic, and/or the cohort (year of VDAB registration). */
export type VdabGroupView = GroupView & { cohort?: string };

/** VDAB's pair and its shares; a share is suppressed when a count it divides is. */
export interface VdabPair {
  registeredAtVdab: Cell;
  everEmployed: Cell;
  employedNow: Cell;
  /** everEmployed / registeredAtVdab, three decimals (value null over zero). */
  everEmployedShare: Cell;
  /** employedNow / registeredAtVdab, three decimals (value null over zero). */
  employedNowShare: Cell;
}

export type VdabGroup = VdabPair & { group: VdabGroupView };

export interface VdabPoint {
  on: string;
  /** The whole population (every group together). */
  total: VdabPair;
  /** One per group with anyone in the population; empty without groupBy. */
  groups: VdabGroup[];
}

/**
 * VDAB's pair on one date (`on`), or at the end of every period of a range (`from`, `to`,
 * `interval`: the periods of the flows, the last one clipped to `to`), each point the answer of
 * its date.
 */
export interface VdabView {
  on: string | null;
  from: string | null;
  to: string | null;
  interval: Interval | null;
  population: VdabPopulation;
  /** none, or its dimensions in the order of VDAB_DIMENSIONS. */
  groupBy: GroupBy;
  /** The map and place reading of the groups (place.ts). */
  map: PlaceEcho['map'];
  by: PlaceEcho['by'];
  suppressBelow: number;
  points: VdabPoint[];
}

/** The pair on each of `dates` (one threshold for all); `unsuppressed`: the same with nothing suppressed. */
export async function vdabOn(
  dataSource: DataSource,
  dates: readonly string[],
  population: VdabPopulation,
  groupBy: GroupBy,
  place: Place = REGISTRATION_AS_RECORDED,
  recordedAsOf: RecordedAsOf = null,
  fromPeriods = false,
  knownThreshold?: number,
): Promise<Suppressed<Pick<VdabView, 'population' | 'groupBy' | 'map' | 'by' | 'suppressBelow' | 'points'>>> {
  const level = fromPeriods ? null : dateCountLevel(vdabGrouping(groupBy), place, recordedAsOf);
  // The threshold and the tallies read at once (flows.ts's flowsIn).
  const [suppressBelow, tallies] = await Promise.all([
    suppressionThreshold(dataSource, knownThreshold),
    level === null ? vdabTallies(dataSource, dates, population, groupBy, place, recordedAsOf) : vdabTalliesFromDateCounts(dataSource, dates, population, groupBy, level),
  ]);
  const talliesOn = new Map<string, VdabTally[]>();
  for (const tally of tallies) (talliesOn.get(tally.day) ?? talliesOn.set(tally.day, []).get(tally.day)!).push(tally);
  const at = (threshold: number) => ({
    population,
    groupBy,
    map: place.map,
    by: place.by,
    suppressBelow: threshold,
    points: dates.map((on) => vdabPoint(on, talliesOn.get(on) ?? [], groupBy, threshold, place)),
  });
  return { view: at(suppressBelow), unsuppressed: () => at(0) };
}

/** The population's counts in one group on a date: its place, sex and age band (groups.ts, null when not grouped by) and cohort. */
export interface VdabTally extends GroupRow {
  day: string;
  /** Year of the VDAB registration (null: no cohort asked). */
  cohort: string | null;
  registered: number;
  ever: number;
  now: number;
}

/**
 * The population on each of `days`, counted per group: the persons whose VDAB registration
 * (VdabRegistered, by business date) is on or before the day, with the situation of their
 * dossier on that day: the municipality (and its province) they are registered in, whether they
 * had any job by then (ever_employed) and whether they have one on the day (employed_now: a job
 * ends with EmploymentEnded or with the person's departure), and the person's sex and age band on
 * the day (stat_person_attributes, as every statistic reads them). The periods hold all of it on
 * the business axis, recomputed from all of a dossier's events, so a fact recorded late counts
 * from its date. The periods at VDAB are read once for all the days.
 */
export async function vdabTallies(
  dataSource: DataSource,
  days: readonly string[],
  population: VdabPopulation,
  groupBy: GroupBy,
  where: Place = REGISTRATION_AS_RECORDED,
  recordedAsOf: RecordedAsOf = null,
): Promise<VdabTally[]> {
  const grouping = vdabGrouping(groupBy);
  const params: unknown[] = [[...new Set(days)], population];
  const group = placeOf(grouping, where, params, 'p.');
  // The year of the VDAB registration, only when asked: it is the one thing the periods do not hold.
  const registration = grouping.cohort
    ? `JOIN (SELECT dossier_id, to_char(min(occurred_on), 'YYYY') AS cohort FROM ${recordedRows(STAT_EVENTS_TABLE, recordedAsOf)} e WHERE type = 'VdabRegistered' GROUP BY dossier_id) v USING (dossier_id)`
    : '';
  // Sex and age band are the person's on each day (personOn), so joined per day, not in the periods read once
  // (the periods as `pv`: personOn's own table is `a`).
  const person = byPerson(grouping);
  return (await dataSource.query(
    `WITH at_vdab AS MATERIALIZED (
       SELECT ${person ? 'p.dossier_id, ' : ''}p.valid_from, p.valid_to, ${group.grp} AS grp, ${grouping.cohort ? 'v.cohort' : 'NULL::text'} AS cohort, p.ever_employed, p.employed_now
         FROM ${recordedRows(STAT_PERIODS_TABLE, recordedAsOf)} p ${registration}
         ${group.join}
        WHERE p.vdab AND ($2 = 'all' OR p.active))
     SELECT d.day::text AS day, pv.grp,
            ${grouping.sex ? "coalesce(person_sex, 'unknown')" : 'NULL::text'} AS grp_sex, ${grouping.ageBand ? "coalesce(person_band, 'unknown')" : 'NULL::text'} AS grp_band,
            pv.cohort, count(*)::int AS registered, count(*) FILTER (WHERE pv.ever_employed)::int AS ever, count(*) FILTER (WHERE pv.employed_now)::int AS now
       FROM unnest($1::date[]) AS d (day)
       JOIN at_vdab pv ON pv.valid_from <= d.day AND (pv.valid_to IS NULL OR pv.valid_to > d.day)
       ${personOn(grouping, 'pv.dossier_id', 'd.day')}
      GROUP BY 1, 2, 3, 4, 5`,
    params,
  )) as VdabTally[];
}

/**
 * vdabTallies from the counts kept per day (stat_date_counts, aggregates/date-counts.ts: per
 * population `all:registered`, `all:ever`, `all:now`, the same for `active`, per cohort), for a
 * question they answer (date-counts.ts). Without cohort in groupBy the cohorts are added up;
 * with it, the persons without a VDAB registration event (cohort '') have no cohort and are left
 * out, as vdabTallies' join leaves them out.
 */
async function vdabTalliesFromDateCounts(
  dataSource: DataSource,
  days: readonly string[],
  population: VdabPopulation,
  groupBy: GroupBy,
  level: DateCountLevel,
): Promise<VdabTally[]> {
  const { cohort: byCohort } = vdabGrouping(groupBy);
  const counted = ['registered', 'ever', 'now'] as const;
  // The population's measures (`all:registered`, …) by the count each adds to; the kept cells have no others (measures below).
  const countOfMeasure = new Map(counted.map((count) => [vdabMeasure(population, count), count]));
  const { days: sorted, cells } = await countCellsOn(dataSource, 'vdab', level, days, undefined, [...countOfMeasure.keys()], byCohort);
  // Each group's counts on every day, summed from its cells: one object per group and count, where
  // a count object per cell and day, and a tally map per day, were most of what VDAB's 48 month
  // ends allocated between the read and the points (bench/README.md, "Computed range answers: the
  // date counts prepared, validation, VDAB's points (fourteenth session)").
  const groups = new Map<string, { row: GroupRow; cohort: string | null } & Record<(typeof counted)[number], Float64Array>>();
  for (const { grp, cohort, measure, counts } of cells) {
    const what = countOfMeasure.get(measure);
    if (what === undefined || (byCohort && cohort === '')) continue;
    const key = byCohort ? `${grp}|${cohort}` : grp;
    let group = groups.get(key);
    if (group === undefined) {
      const [registered, ever, now] = counted.map(() => new Float64Array(sorted.length));
      groups.set(key, (group = { row: groupRowOf(level, grp), cohort: byCohort ? cohort : null, registered, ever, now }));
    }
    const into = group[what];
    for (let index = 0; index < sorted.length; index++) into[index] += counts[index];
  }
  const tallies: VdabTally[] = [];
  for (let index = 0; index < sorted.length; index++) {
    const day = sorted[index];
    for (const { row, cohort, registered, ever, now } of groups.values()) {
      // Written out, not spread from the row: a tally spread from it took V8 some 15 µs to make, 4 ms an answer of 48 month ends.
      if (registered[index] > 0) tallies.push({ grp: row.grp, grp_sex: row.grp_sex, grp_band: row.grp_band, day, cohort, registered: registered[index], ever: ever[index], now: now[index] });
    }
  }
  return tallies;
}

const MEASURES = ['registeredAtVdab', 'everEmployed', 'employedNow'] as const;
type Measure = (typeof MEASURES)[number];
const countOf = (t: Pick<VdabTally, 'registered' | 'ever' | 'now'>, measure: Measure) =>
  measure === 'registeredAtVdab' ? t.registered : measure === 'everEmployed' ? t.ever : t.now;

/**
 * VDAB's pair on a date from the tallies of its population: for all together and per group.
 * Each count (registered, ever employed, employed now) and its groups, which add up to it, are
 * one line: suppressed as a breakdown (breakdown(): small cells, then more groups, the smallest
 * first, until the suppressed groups together count at least suppressBelow persons, or the
 * total), so no suppressed group can be worked out from the total and the others. A share is
 * suppressed when its numerator or its denominator is.
 */
export function vdabPoint(
  on: string,
  tallies: ReadonlyArray<Omit<VdabTally, 'day'>>,
  groupBy: GroupBy,
  suppressBelow: number,
  where: Place = REGISTRATION_AS_RECORDED,
): VdabPoint {
  const grouping = vdabGrouping(groupBy);
  // The groups in the order of the answer (without groupBy, the one tally is the total's alone):
  // the tallies sorted as they are, with no key or map per tally (one tally per group).
  const groups = groupBy === 'none' ? [] : [...tallies].sort((a, b) => byGroup(a, b) || ((a.cohort ?? '') < (b.cohort ?? '') ? -1 : (a.cohort ?? '') > (b.cohort ?? '') ? 1 : 0));
  // Each measure's line: its total and its groups' counts, in arrays (an answer of 48 month ends
  // by province makes 144 lines: bench/README.md, "Computed range answers: the date counts
  // prepared, validation, VDAB's points (fourteenth session)").
  const [registered, ever, now] = MEASURES.map((measure) => {
    let total = 0;
    for (const t of tallies) total += countOf(t, measure);
    const parts = new Array<number>(groups.length);
    for (let index = 0; index < groups.length; index++) parts[index] = countOf(groups[index], measure);
    return personsBreakdown(total, parts, suppressBelow);
  });
  return {
    on,
    total: withShares({ registeredAtVdab: registered.total, everEmployed: ever.total, employedNow: now.total }),
    groups: groups.map((t, index) => {
      // Written out, not spread from a pair.
      // groupView's object is the point's own: the cohort set on it, not spread into another ({} when grouped by cohort alone).
      const view: VdabGroupView = groupView(grouping, t, where.map) ?? {};
      return withShares({
        group: grouping.cohort ? Object.assign(view, { cohort: t.cohort! }) : view,
        registeredAtVdab: registered.parts[index],
        everEmployed: ever.parts[index],
        employedNow: now.parts[index],
      });
    }),
  };
}

/** A share of registeredAtVdab, suppressed when it or its numerator is. */
const shareOf = (part: Cell, registeredAtVdab: Cell): Cell =>
  part.suppressed || registeredAtVdab.suppressed
    ? { value: null, suppressed: true }
    : { value: registeredAtVdab.value === 0 ? null : Math.round((part.value! / registeredAtVdab.value!) * 1000) / 1000, suppressed: false };

/** The pair's counts with their shares (set on the pair itself): a share is suppressed when a count it divides (its numerator or registeredAtVdab) is. */
export function withShares<P extends Pick<VdabPair, 'registeredAtVdab' | 'everEmployed' | 'employedNow'>>(pair: P): P & VdabPair {
  const shared = pair as P & VdabPair;
  shared.everEmployedShare = shareOf(pair.everEmployed, pair.registeredAtVdab);
  shared.employedNowShare = shareOf(pair.employedNow, pair.registeredAtVdab);
  return shared;
}

/** The counts of a group of the pair (the table across groups, tables.ts: the shares derive from them). */
export const vdabCounts = ({ registeredAtVdab, everEmployed, employedNow }: VdabPair) => ({ registeredAtVdab, everEmployed, employedNow });
