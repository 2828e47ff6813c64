import type { DataSource } from 'typeorm';
import { AS_RECORDED, DEPARTURE_REASONS, INBURGERING_TRAJECTORIES, OTHER_RESIDENCE_STATUSES, REHOUSING_REASONS } from '@app/domain';
import { readFlowCounts } from '../aggregates/flows';
import { STAT_EVENTS_TABLE } from '../flow-statistics.projection';
import { activeOn } from './active-on';
import { byGroup, byPerson, groupingOf, groupSql, groupView, keyOf, NO_GROUP, personOn, type GroupBy, type Grouping, type GroupRow, type GroupView } from './groups';
import { REGISTRATION_AS_RECORDED, type Place, type PlaceEcho } from './place';
import type { Interval, Period } from './periods';
import { secondReadings } from './readings';
import { recordedRows, type RecordedAsOf } from './recorded';
import { suppressionThreshold } from './settings';
import { breakdown, cell, type Cell, type Count, type Suppressed } from './suppression';

/** Where an event counts, by registration and by housing (place.ts reads the one asked for). */
const PLACES = 'municipality, province_nis, housing_municipality, housing_province_nis';

export interface FlowGroup {
  group: GroupView | null;
  registrations: Cell;
  /** First housings of each stay (PersonHoused: after the registration and after each reopening). */
  housings: Cell;
  /** First housings ever: a person's first PersonHoused of all (readings.ts). */
  firstHousingsEver: Cell;
  rehousings: { total: Cell; byReason: Record<string, Cell> };
  inburgeringEnrolments: { total: Cell; byTrajectory: Record<string, Cell> };
  vdabRegistrations: Cell;
  employmentStarts: Cell;
  /** Jobs ended by EmploymentEnded. */
  employmentEnds: Cell;
  /** Jobs ended by EmploymentEnded or by the person's departure (readings.ts). */
  employmentEndsIncludingDepartures: Cell;
  /** Departures; `other-residence-status` is a person who left, not one who moved to another status and stays (transitions). */
  departures: { total: Cell; byReason: Record<string, Cell> };
  reopenings: Cell;
  /** Moves to another residence status (ResidenceStatusChanged), by the status moved to. */
  transitions: { total: Cell; byStatus: Record<string, Cell> };
  stockAtEnd: Cell;
}

/**
 * What a flow counts: each event, or each person once however many of those events they had in
 * the period and group (a person rehoused twice counts two rehousings, one rehoused person).
 */
export const FLOW_UNITS = ['events', 'persons'] as const;
export type FlowUnit = (typeof FLOW_UNITS)[number];

export interface FlowsView extends PlaceEcho {
  from: string;
  to: string;
  interval: Interval;
  groupBy: GroupBy;
  /** What the flows count; stockAtEnd always counts persons. */
  unit: FlowUnit;
  suppressBelow: number;
  periods: Array<{ period: string; start: string; end: string; groups: FlowGroup[] }>;
}

/** Counts of one bucket, group, event type and category (detail 0), or of the type's total (detail 1). */
export type EventCount = GroupRow & { bucket: string; type: string; category: string | null; detail: number; n: number; persons: number };

/**
 * The counts of events between from and to from their rows (every row, as recorded at the
 * moment): the test oracle of countsOf, and the answer to what stat_flow_counts does not keep.
 * `within`: only the readings of dossiers with an event in the range are worked out (readings.ts),
 * for a part of a period that reads its own days.
 */
export async function eventsIn(
  dataSource: DataSource,
  from: string,
  to: string,
  interval: Interval,
  grouping: Grouping,
  periods: Period[],
  place: Place,
  recordedAsOf: RecordedAsOf,
  within = false,
): Promise<EventCount[]> {
  const params: unknown[] = [from, to, interval];
  const { columns, join } = groupSql(grouping, place, params);
  // The person's sex and age band on the last day of the event's period (of the periods' first days, their last).
  const periodEnd = () =>
    `($${params.push(periods.map((period) => period.end))}::date[])[width_bucket(occurred_on, $${params.push(periods.map((period) => period.start))}::date[])]`;
  const person = personOn(grouping, 'events.dossier_id', grouping.ageBand ? periodEnd() : 'occurred_on');
  const readings = secondReadings(recordedAsOf, within ? ['$1::date', '$2::date'] : undefined);
  // Distinct persons are counted per group of the map: the translation is joined in first.
  return (await dataSource.query(
    `SELECT bucket, grp, grp_sex, grp_band, type, category, GROUPING(category) AS detail,
            count(*)::int AS n, count(DISTINCT dossier_id)::int AS persons
       FROM (SELECT to_char(date_trunc($3, occurred_on::timestamp), 'YYYY-MM-DD') AS bucket, ${columns},
                    type, coalesce(reason, trajectory, residence_status) AS category, dossier_id
               FROM (SELECT dossier_id, occurred_on, ${PLACES}, type, reason, trajectory, residence_status
                       FROM ${recordedRows(STAT_EVENTS_TABLE, recordedAsOf)} AS kept
                     UNION ALL
                     SELECT dossier_id, occurred_on, ${PLACES}, type, NULL, NULL, NULL FROM (${readings}) AS readings) AS events
                    ${person} ${join}
              WHERE occurred_on BETWEEN $1::date AND $2::date) AS e
      GROUP BY GROUPING SETS ((bucket, grp, grp_sex, grp_band, type, category), (bucket, grp, grp_sex, grp_band, type))`,
    params,
  )) as EventCount[];
}

/**
 * Whether stat_flow_counts answers: the flows now (not as recorded at a moment), by the place of
 * registration as recorded (no map), grouped by nothing, province or municipality.
 */
const fromCounts = (grouping: Grouping, place: Place, recordedAsOf: RecordedAsOf) =>
  recordedAsOf === null && place.map === AS_RECORDED && place.by === 'registration' && !byPerson(grouping);

/** The count of a cell without rows. */
const NONE: Count = { value: 0, persons: 0 };

/** The cells of one bucket and group: each event type's total, and the categories of the types counted by category. */
export interface GroupCells {
  readonly totals: Map<string, Count>;
  readonly parts: Map<string, Map<string, Count>>;
}

/** The count of a type (category '': its total) among a bucket and group's cells, NONE without one. */
const countIn = (cells: GroupCells | undefined, type: string, category = ''): Count =>
  (category === '' ? cells?.totals.get(type) : cells?.parts.get(type)?.get(category)) ?? NONE;

/**
 * A flows answer's counts, nested by bucket and group (`cells.get(bucket).get(group)`), there by
 * event type (a total) or by type and category. Nested so that each of a view's ~40 cells per
 * period and group is found without a key written for it; a map of categories only for the types
 * that have them (a map for each type's total alone was most of the maps). The kept counts land
 * here as they are read (countsOf), with no object per row: a row object per count before they
 * were nested was a third of a flows answer's allocations (bench/README.md, "Computed range
 * answers' allocations (twelfth session)"). eventsIn's rows land through the same `land`.
 */
export class FlowCells {
  /** Every group of a count, by its key (keyOf), kept at its first count. */
  readonly groups = new Map<string, GroupRow>();
  readonly cells = new Map<string, Map<string, GroupCells>>();
  /** The key of each group of the kept counts, by its code as they hold it (countsOf). */
  private readonly places = new Map<string, string>();

  /** `unit`: what a cell's value counts, events or persons (a cell is suppressed on its persons either way). */
  constructor(readonly unit: FlowUnit) {}

  /** The key of a row's group, the group kept at its first row. */
  groupOf(row: GroupRow): string {
    const key = keyOf(row);
    if (!this.groups.has(key)) this.groups.set(key, { grp: row.grp, grp_sex: row.grp_sex, grp_band: row.grp_band });
    return key;
  }

  /** The key of a kept count's group, by its code ('' none, or Brussels' province): a place of registration alone. */
  placeOf(grp: string): string {
    return this.places.get(grp) ?? this.places.set(grp, this.groupOf({ grp: grp === '' ? null : grp, grp_sex: null, grp_band: null })).get(grp)!;
  }

  /** One count lands in its cell: `events` of `persons` distinct persons, of a type (category '': its total) in a bucket and group (its key). */
  land(bucket: string, group: string, type: string, category: string, events: number, persons: number): void {
    const groups = this.cells.get(bucket) ?? this.cells.set(bucket, new Map()).get(bucket)!;
    let cells = groups.get(group);
    if (!cells) groups.set(group, (cells = { totals: new Map(), parts: new Map() }));
    const count = { value: this.unit === 'events' ? events : persons, persons };
    if (category === '') cells.totals.set(type, count);
    else (cells.parts.get(type) ?? cells.parts.set(type, new Map()).get(type)!).set(category, count);
  }

  /**
   * A row of eventsIn lands: a type's total (detail 1) under category '', a category's count
   * (detail 0) under its category (a rehousing's or departure's reason, a trajectory, the status
   * moved to); the events of a type without one are no cell of their own.
   */
  landRow(row: EventCount): void {
    const detail = Number(row.detail) === 0;
    if (detail && (row.category ?? '') === '') return;
    this.land(row.bucket, this.groupOf(row), row.type, detail ? row.category! : '', row.n, row.persons);
  }
}

/**
 * The counts of the periods from stat_flow_counts (aggregates/flows.ts): a few rows per whole
 * period, however many dossiers, and a period the range clips at one end (its first or last) from
 * its days' rows of stat_flow_days, all in one statement (readFlowCounts); one clipped at both
 * ends (a range inside one period) reads its own days' rows of stat_events (eventsIn): at most
 * one period's events. Each count lands in `cells` as it is read.
 */
export async function countsOf(dataSource: DataSource, interval: Interval, grouping: Grouping, periods: Period[], cells: FlowCells): Promise<FlowCells> {
  const { unanswered } = await readFlowCounts(dataSource, interval, grouping.place ?? 'none', periods, (bucket, grp, type, category, n, persons) =>
    cells.land(bucket, cells.placeOf(grp), type, category, n, persons),
  );
  for (const period of unanswered) {
    for (const row of await eventsIn(dataSource, period.start, period.end, interval, grouping, [period], REGISTRATION_AS_RECORDED, null, true)) cells.landRow(row);
  }
  return cells;
}

/**
 * Per period of the range, per group: each kind of event counted in events or in persons (either
 * way suppressed on its persons), and the stock at the period's end (persons, as always).
 */
export async function flowsIn(
  dataSource: DataSource,
  from: string,
  to: string,
  interval: Interval,
  groupBy: GroupBy,
  periods: Period[],
  unit: FlowUnit,
  place: Place,
  recordedAsOf: RecordedAsOf = null,
  knownThreshold?: number,
): Promise<Suppressed<FlowsView>> {
  const grouping = groupingOf(groupBy);
  const cells = new FlowCells(unit);
  if (groupBy === 'none') cells.groupOf(NO_GROUP);
  // The threshold (unless known: statistics-cache.ts reads it with the version), the counts and
  // the stocks read at once, each on a connection of its own: an answer waits for one round trip
  // where it waited for each in turn (bench/README.md, "Computed answers").
  const [threshold, , stocks] = await Promise.all([
    suppressionThreshold(dataSource, knownThreshold),
    fromCounts(grouping, place, recordedAsOf)
      ? countsOf(dataSource, interval, grouping, periods, cells)
      : eventsIn(dataSource, from, to, interval, grouping, periods, place, recordedAsOf).then((rows) => {
          for (const row of rows) cells.landRow(row);
        }),
    activeOn(
      dataSource,
      periods.map((period) => period.end),
      grouping,
      place,
      recordedAsOf,
    ),
  ]);
  const groupKeys = cells.groups;
  // stockAt.get(day).get(group): the active dossiers.
  const stockAt = new Map<string, Map<string, number>>();
  for (const row of stocks) (stockAt.get(row.day) ?? stockAt.set(row.day, new Map()).get(row.day)!).set(cells.groupOf(row), row.n);

  const sortedKeys = [...groupKeys.keys()].sort((a, b) => byGroup(groupKeys.get(a)!, groupKeys.get(b)!));
  const at = (suppressBelow: number): FlowsView => ({
    from,
    to,
    interval,
    groupBy,
    map: place.map,
    by: place.by,
    unit,
    suppressBelow,
    periods: periods.map((period) => ({
      period: period.label,
      start: period.start,
      end: period.end,
      groups: sortedKeys.map((key) => {
        const of = cells.cells.get(period.bucket)?.get(key);
        const raw = (type: string, category = ''): Count => countIn(of, type, category);
        const count = (type: string) => {
          const { value, persons } = raw(type);
          return cell(value, persons, suppressBelow);
        };
        const split = (type: string, categories: readonly string[]) => {
          // The parts set in a loop (four breakdowns a period and group: vdab.ts's lines).
          const parts: Record<string, Count> = {};
          for (const category of categories) parts[category] = raw(type, category);
          return breakdown(raw(type), parts, suppressBelow);
        };
        const stock = stockAt.get(period.end)?.get(key) ?? 0;
        const rehousings = split('PersonRehoused', REHOUSING_REASONS);
        const enrolments = split('InburgeringEnrolled', INBURGERING_TRAJECTORIES);
        const departures = split('PersonLeft', DEPARTURE_REASONS);
        const transitions = split('ResidenceStatusChanged', OTHER_RESIDENCE_STATUSES);
        return {
          group: groupView(grouping, groupKeys.get(key)!, place.map),
          registrations: count('DossierRegistered'),
          housings: count('PersonHoused'),
          firstHousingsEver: count('FirstHousingEver'),
          rehousings: { total: rehousings.total, byReason: rehousings.parts },
          inburgeringEnrolments: { total: enrolments.total, byTrajectory: enrolments.parts },
          vdabRegistrations: count('VdabRegistered'),
          employmentStarts: count('EmploymentStarted'),
          employmentEnds: count('EmploymentEnded'),
          employmentEndsIncludingDepartures: count('EmploymentEndedOrLeftEmployed'),
          departures: { total: departures.total, byReason: departures.parts },
          reopenings: count('DossierReopened'),
          transitions: { total: transitions.total, byStatus: transitions.parts },
          stockAtEnd: cell(stock, stock, suppressBelow),
        };
      }),
    })),
  });
  return { view: at(threshold), unsuppressed: () => at(0) };
}