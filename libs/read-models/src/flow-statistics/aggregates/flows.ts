import type { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA, type ProjectionContext } from '@app/projection-engine';
import { bucketOf, INTERVALS, type Interval } from '../queries/periods';

/**
 * The flows' counts per calendar period, kept by the projection so that a question about whole
 * periods reads a few rows per period instead of every event (queries/flows.ts). A row holds,
 * for one interval kind, one calendar period (its first day), one grouping level (none, province
 * or municipality of registration, as recorded) and group, one measure (an event type, or a
 * reading of readings.ts) and one category (a reason, trajectory or status moved to; '' the
 * measure's total): the events counted there and the persons (dossiers) who had at least one.
 *
 * It is a sum over dossiers of each dossier's contribution, computed from that dossier's current
 * rows of stat_events alone (flowCountsOf). Whenever the projection replaces a dossier's rows it
 * adds the contribution of its new rows and takes away that of its old ones, in the same
 * transaction (applyFlowCountChanges), so an event recorded late, a reopening elsewhere or a
 * changed attribution lands in its own periods and groups, and the table is the same however the
 * events were batched (a count that reaches 0 is deleted).
 */
export const STAT_FLOW_COUNTS_TABLE = 'stat_flow_counts';

/** The grouping levels the table keeps, each a marginal count of its own (not a combination). */
export const FLOW_LEVELS = ['none', 'province', 'municipality'] as const;
export type FlowLevel = (typeof FLOW_LEVELS)[number];

/** A current row of stat_events, as the flows count it. */
export interface FlowEvent {
  dossierId: string;
  version: number;
  type: string;
  occurredOn: string;
  /** A rehousing's or departure's reason, a trajectory, the status moved to (coalesced as the flows query does); null: none. */
  category: string | null;
  /** Where the event counts by registration (the row's municipality and province_nis). */
  municipality: string | null;
  provinceNis: string | null;
}

/** One row of stat_flow_counts. */
export interface FlowCount {
  interval: Interval;
  period: string;
  level: FlowLevel;
  /** The province's or municipality's code; '' without a place (level none), for Brussels' province, or where the row had none (as keyOf reads groups). */
  grp: string;
  measure: string;
  category: string;
  events: number;
  persons: number;
}

const inBusinessOrder = (a: FlowEvent, b: FlowEvent) => (a.occurredOn < b.occurredOn ? -1 : a.occurredOn > b.occurredOn ? 1 : a.version - b.version);

/**
 * The second readings (queries/readings.ts) among one dossier's events, as rows counted like its
 * events: its first PersonHoused of all, and every EmploymentEnded and every PersonLeft whose
 * latest job event before it (EmploymentStarted, EmploymentEnded, PersonLeft, in business
 * order) is an EmploymentStarted. readings.ts states the rule for the query that reads every
 * row (the test oracle); aggregates/flows.spec.ts holds the two equal.
 */
export function readingsOf(events: readonly FlowEvent[]): FlowEvent[] {
  const ordered = [...events].sort(inBusinessOrder);
  const readings: FlowEvent[] = [];
  const firstHousing = ordered.find((event) => event.type === 'PersonHoused');
  if (firstHousing) readings.push({ ...firstHousing, type: 'FirstHousingEver', category: null });
  let before: string | null = null;
  for (const event of ordered) {
    if (event.type !== 'EmploymentStarted' && event.type !== 'EmploymentEnded' && event.type !== 'PersonLeft') continue;
    if (event.type === 'EmploymentEnded' || (event.type === 'PersonLeft' && before === 'EmploymentStarted')) {
      readings.push({ ...event, type: 'EmploymentEndedOrLeftEmployed', category: null });
    }
    before = event.type;
  }
  return readings;
}

/** The group of an event at a grouping level. */
const groupAt = (level: FlowLevel, event: FlowEvent) => (level === 'none' ? '' : ((level === 'province' ? event.provinceNis : event.municipality) ?? ''));

/**
 * The counts of these dossiers' current events (and their readings), summed over the dossiers:
 * each dossier counts every event where it lands, and once as a person.
 */
export function flowCountsOf(events: readonly FlowEvent[]): Map<string, FlowCount> {
  const byDossier = new Map<string, FlowEvent[]>();
  for (const event of events) {
    const kept = byDossier.get(event.dossierId);
    if (kept) kept.push(event);
    else byDossier.set(event.dossierId, [event]);
  }
  const counts = new Map<string, FlowCount>();
  // The dossier a count last counted as a person: each dossier is one person per count.
  const lastPerson = new Map<FlowCount, string>();
  for (const [dossierId, own] of byDossier) {
    for (const event of [...own, ...readingsOf(own)]) {
      for (const interval of INTERVALS) {
        const period = bucketOf(event.occurredOn, interval);
        for (const level of FLOW_LEVELS) {
          const grp = groupAt(level, event);
          const at = `${interval}\t${period}\t${level}\t${grp}\t${event.type}\t`;
          for (const category of event.category === null ? [''] : ['', event.category]) {
            const key = at + category;
            let count = counts.get(key);
            if (!count) {
              count = { interval, period, level, grp, measure: event.type, category, events: 0, persons: 0 };
              counts.set(key, count);
            }
            count.events++;
            if (lastPerson.get(count) !== dossierId) {
              lastPerson.set(count, dossierId);
              count.persons++;
            }
          }
        }
      }
    }
  }
  return counts;
}

/** What turns `before` into `after`, count by count; counts that do not change are left out. */
function changes(before: Map<string, FlowCount>, after: Map<string, FlowCount>): FlowCount[] {
  const delta = new Map<string, FlowCount>();
  for (const [key, count] of after) delta.set(key, { ...count });
  for (const [key, count] of before) {
    const next = delta.get(key) ?? { ...count, events: 0, persons: 0 };
    next.events -= count.events;
    next.persons -= count.persons;
    delta.set(key, next);
  }
  return [...delta.values()].filter((count) => count.events !== 0 || count.persons !== 0);
}

const KEY = ['interval', 'period', 'level', 'grp', 'measure', 'category'] as const;
const KEY_TYPES = ['text', 'date', 'text', 'text', 'text', 'text'] as const;

/** The key columns of counts, as arrays for unnest. */
const keyArrays = (counts: readonly FlowCount[]) => KEY.map((column) => counts.map((count) => count[column]));
const unnest = (types: readonly string[]) => `unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;

/** What the counts need of a context: SQL in its transaction, on its schema (a rebuild's own, or the live one). */
export type CountsContext = Pick<ProjectionContext, 'schema' | 'query'>;

/** The current rows of stat_events of these dossiers, as the flows count them. */
export async function currentFlowEventsOf(context: CountsContext, dossierIds: readonly string[]): Promise<FlowEvent[]> {
  if (dossierIds.length === 0) return [];
  const rows = (await context.query(
    `SELECT dossier_id::text AS "dossierId", version, type, occurred_on::text AS "occurredOn",
            coalesce(reason, trajectory, residence_status) AS category, municipality, province_nis AS "provinceNis"
       FROM ${context.schema}.stat_events WHERE dossier_id = ANY($1::uuid[]) AND recorded_to IS NULL`,
    [dossierIds],
  )) as FlowEvent[];
  return rows.map((row) => ({ ...row, version: Number(row.version) }));
}

/**
 * Called before the projection replaces the rows of stat_events of some dossiers: moves
 * stat_flow_counts from the contribution of their current rows (read here; `stored` lists the
 * dossiers that have any) to that of `after`, every current row they will have.
 */
export async function replaceFlowCounts(context: CountsContext, stored: readonly string[], after: readonly FlowEvent[]): Promise<void> {
  await applyFlowCountChanges(context, await currentFlowEventsOf(context, stored), after);
}

/**
 * Moves stat_flow_counts from the contribution of the dossiers' `before` rows to that of their
 * `after` rows: one statement adds the differences, and the counts they bring to zero are
 * deleted. Each list holds every current row of its dossiers.
 */
export async function applyFlowCountChanges(context: CountsContext, before: readonly FlowEvent[], after: readonly FlowEvent[]): Promise<void> {
  const delta = changes(flowCountsOf(before), flowCountsOf(after));
  if (delta.length === 0) return;
  const table = `${context.schema}.${STAT_FLOW_COUNTS_TABLE}`;
  const zero = (await context.query(
    `WITH moved AS (
       INSERT INTO ${table} AS c (${KEY.join(', ')}, events, persons)
       SELECT * FROM ${unnest([...KEY_TYPES, 'int', 'int'])} AS d (${KEY.join(', ')}, events, persons)
       ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET events = c.events + excluded.events, persons = c.persons + excluded.persons
       RETURNING ${KEY.map((column) => (column === 'period' ? 'c.period::text AS period' : `c.${column}`)).join(', ')}, c.events)
     SELECT * FROM moved WHERE events = 0`,
    [...keyArrays(delta), delta.map((count) => count.events), delta.map((count) => count.persons)],
  )) as FlowCount[];
  if (zero.length === 0) return;
  await context.query(
    `DELETE FROM ${table} WHERE (${KEY.join(', ')}) IN (SELECT * FROM ${unnest(KEY_TYPES)})`,
    keyArrays(zero),
  );
}

/** The counts of these calendar periods (their first days) at a grouping level, as the live table holds them now. */
export async function readFlowCounts(dataSource: DataSource, interval: Interval, level: FlowLevel, periods: readonly string[]): Promise<FlowCount[]> {
  if (periods.length === 0) return [];
  return (await dataSource.query(
    `SELECT interval, period::text AS period, level, grp, measure, category, events, persons
       FROM ${READ_MODEL_SCHEMA}.${STAT_FLOW_COUNTS_TABLE} WHERE interval = $1 AND level = $2 AND period = ANY($3::date[])`,
    [interval, level, periods],
  )) as FlowCount[];
}
