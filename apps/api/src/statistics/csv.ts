import {
  seriesCells,
  type Cell,
  type FlowGroup,
  type FlowsRecorded,
  type FunnelView,
  type GroupView,
  type OutlookView,
  type PlaceEcho,
  type Recorded,
  type RecordedThrough,
  type RevisionsView,
  type StockOverTimeRecorded,
  type StockView,
  type VdabPoint,
  type VdabView,
} from '@app/read-models';

/**
 * Statistics as CSV: long format, one row per number, a header row. A suppressed number has an
 * empty `value` and `suppressed` true. Each answer is first a table of fields, then written in
 * the dialect the client asked for (renderCsv).
 */
type Field = string | number | null;
/** A header row, then the data rows. */
export type CsvTable = Field[][];

/**
 * `rfc4180` (the default): `,` between fields, `.` in decimals, RFC 4180 quoting, CRLF.
 * `excel-be`: what Excel opens as columns and numbers with Belgian (nl-BE, fr-BE) regional
 * settings: `;` between fields, `,` in decimals, a UTF-8 byte order mark first (without it, Excel
 * reads UTF-8 as Windows-1252 and garbles names such as "Liège"), quoting and CRLF as RFC 4180.
 */
export const CSV_DIALECTS = ['rfc4180', 'excel-be'] as const;
export type CsvDialect = (typeof CSV_DIALECTS)[number];

const SEPARATOR: Record<CsvDialect, string> = { rfc4180: ',', 'excel-be': ';' };
const DECIMAL_MARK: Record<CsvDialect, string> = { rfc4180: '.', 'excel-be': ',' };
const BYTE_ORDER_MARK: Record<CsvDialect, string> = { rfc4180: '', 'excel-be': '\uFEFF' };

export function renderCsv(table: CsvTable, dialect: CsvDialect = 'rfc4180'): string {
  const separator = SEPARATOR[dialect];
  const needsQuotes = (value: string) => value.includes(separator) || /["\r\n]/.test(value);
  const text = (field: Field) => {
    if (field === null) return '';
    // Numbers only: a date or a code is text and keeps its characters.
    const value = typeof field === 'number' ? String(field).replace('.', DECIMAL_MARK[dialect]) : field;
    return needsQuotes(value) ? `"${value.replace(/"/g, '""')}"` : value;
  };
  return BYTE_ORDER_MARK[dialect] + table.map((fields) => fields.map(text).join(separator)).join('\r\n') + '\r\n';
}

/**
 * What a row is about: the grouping, the map and place reading it is on (place.ts), and the
 * group: the place's code and name (empty when not grouped by a place), and a column per other
 * dimension the answer (`groupBy`) is grouped by (`sex`, `age_band`), so an answer grouped by a
 * place alone has the columns it always had. A row's own `group_by` may be coarser (the funnel's
 * whole cohort: none).
 */
function groupColumns(groupBy: string): { header: string[]; fields: (rowGroupBy: string, echo: PlaceEcho, group: GroupView | null) => Field[] } {
  const dimensions = groupBy.split(',');
  const sex = dimensions.includes('sex');
  const ageBand = dimensions.includes('ageBand');
  return {
    header: ['group_by', 'map', 'by', 'group_code', 'group_name', ...(sex ? ['sex'] : []), ...(ageBand ? ['age_band'] : [])],
    fields: (rowGroupBy, { map, by }, group) => [
      rowGroupBy, map, by, group?.nis ?? null, group?.name ?? null, ...(sex ? [group?.sex ?? null] : []), ...(ageBand ? [group?.ageBand ?? null] : []),
    ],
  };
}
const cellFields = (cell: Cell): Field[] => [cell.value, String(cell.suppressed)];

/** How far the data of a row reaches, last on every row where the JSON says it: its incomplete flag, the last business date, the recording moment (empty: now). */
const RECORDED_HEADER = ['incomplete', 'last_business_date', 'recorded_as_of'];
const recordedFields = (incomplete: boolean, { lastBusinessDate, recordedAsOf }: Recorded): Field[] => [String(incomplete), lastBusinessDate, recordedAsOf];

const stockHeader = (groupBy: string) => ['as_of', ...groupColumns(groupBy).header, 'measure', 'category', 'value', 'suppressed', ...RECORDED_HEADER];

function stockLines(view: Pick<StockView, 'asOf' | 'groupBy' | 'map' | 'by' | 'groups'> & { incomplete: boolean }, recorded: Recorded): Field[][] {
  const { fields } = groupColumns(view.groupBy);
  return view.groups.flatMap((group) =>
    seriesCells(group as unknown as Record<string, unknown>).map(([measure, category, cell]) =>
      [view.asOf, ...fields(view.groupBy, view, group.group), measure, category, ...cellFields(cell), ...recordedFields(view.incomplete, recorded)],
    ),
  );
}

export function stockCsv(view: StockView & RecordedThrough): CsvTable {
  return [stockHeader(view.groupBy), ...stockLines(view, view)];
}

/** The stock on each date, in the columns of the stock on one date. */
export function stockOverTimeCsv(view: StockOverTimeRecorded): CsvTable {
  return [stockHeader(view.groupBy), ...view.points.flatMap((point) => stockLines({ ...point, groupBy: view.groupBy, map: view.map, by: view.by }, view))];
}

/** The whole cohort's rows (group_by none), then each group's when the funnel is grouped. */
export function funnelCsv(view: FunnelView & RecordedThrough): CsvTable {
  const { header, fields } = groupColumns(view.groupBy);
  const lines: CsvTable = [['cohort', 'cohort_from', 'cohort_to', 'as_of', 'residence_status', ...header, 'step', 'measure', 'value', 'suppressed', ...RECORDED_HEADER]];
  const funnels = [{ groupBy: 'none', group: null, steps: view.steps }, ...view.groups.map((g) => ({ groupBy: view.groupBy, ...g }))];
  for (const { groupBy, group, steps } of funnels) {
    for (const step of steps) {
      for (const [measure, , cell] of seriesCells(step as unknown as Record<string, unknown>)) {
        lines.push([
          view.cohort, view.cohortFrom, view.cohortTo, view.asOf, view.residenceStatus, ...fields(groupBy, view, group), step.step, measure, ...cellFields(cell),
          ...recordedFields(view.incomplete, view),
        ]);
      }
    }
  }
  return lines;
}

/** One row per number of every group of every end date; a projection's rows carry the scenario's monthly rates. */
export function outlookCsv(view: OutlookView): CsvTable {
  const { header, fields } = groupColumns(view.groupBy);
  const lines: CsvTable = [
    [
      'end_date', 'end_date_passed', 'kind', 'last_business_date', 'arrival_rate', 'departure_rate', 'transition_rate',
      ...header, 'measure', 'category', 'value', 'suppressed', 'recorded_as_of',
    ],
  ];
  for (const scenario of view.scenarios) {
    const projected = scenario.kind === 'projection' && view.scenario;
    const rates = projected ? [view.scenario!.arrivals.monthly, view.scenario!.departures.monthly, view.scenario!.transitions.monthly] : [null, null, null];
    for (const group of scenario.groups) {
      for (const [measure, category, cell] of seriesCells(group as unknown as Record<string, unknown>)) {
        lines.push([
          scenario.endDate, String(scenario.endDatePassed), scenario.kind, view.lastBusinessDate, ...rates,
          ...fields(view.groupBy, view, group.group), measure, category, ...cellFields(cell), view.recordedAsOf,
        ]);
      }
    }
  }
  return lines;
}

/** One row per number; `unit` says what it counts (the flows' unit, persons for stockAtEnd). */
export function flowsCsv(view: FlowsRecorded): CsvTable {
  const { header, fields } = groupColumns(view.groupBy);
  const lines: CsvTable = [['period', 'period_start', 'period_end', ...header, 'measure', 'category', 'unit', 'value', 'suppressed', ...RECORDED_HEADER]];
  for (const period of view.periods) {
    for (const group of period.groups as FlowGroup[]) {
      for (const [measure, category, cell] of seriesCells(group as unknown as Record<string, unknown>)) {
        const unit = measure === 'stockAtEnd' ? 'persons' : view.unit;
        lines.push([
          period.period, period.start, period.end, ...fields(view.groupBy, view, group.group), measure, category, unit, ...cellFields(cell),
          ...recordedFields(period.incomplete, view),
        ]);
      }
    }
  }
  return lines;
}

/**
 * One row per number of every point: the total (group_by none) first, then each group's;
 * `cohort` is the group's year of VDAB registration (empty unless grouped by cohort).
 */
export function vdabCsv(view: VdabView & Recorded & { points: Array<VdabPoint & { incomplete: boolean }> }): CsvTable {
  const { header, fields } = groupColumns(view.groupBy);
  const lines: CsvTable = [['on', 'incomplete', 'population', ...header, 'cohort', 'measure', 'value', 'suppressed', 'last_business_date', 'recorded_as_of']];
  for (const point of view.points) {
    const rows = [{ groupBy: 'none', group: null, pair: point.total }, ...point.groups.map(({ group, ...pair }) => ({ groupBy: view.groupBy, group, pair }))];
    for (const { groupBy, group, pair } of rows) {
      for (const [measure, , cell] of seriesCells(pair as unknown as Record<string, unknown>)) {
        lines.push([
          point.on, String(point.incomplete), view.population, ...fields(groupBy, view, group as GroupView | null), group?.cohort ?? null, measure, ...cellFields(cell),
          view.lastBusinessDate, view.recordedAsOf,
        ]);
      }
    }
  }
  return lines;
}

/**
 * One row per changed cell: what it is about in the columns it has (a stock's and the funnel's
 * date, a flows period, an outlook end date; the group's columns as the question's CSV has them;
 * the funnel's step; series and category), the cell before and after, the change and its late events.
 */
export function revisionsCsv(view: RevisionsView & PlaceEcho & { groupBy: string }): CsvTable {
  const { header, fields } = groupColumns(view.groupBy);
  const lines: CsvTable = [
    [
      'question', 'recorded_from', 'recorded_to', 'date', 'period', ...header, 'step', 'series', 'category',
      'before', 'before_suppressed', 'after', 'after_suppressed', 'change', 'late_events', 'late_events_suppressed',
    ],
  ];
  for (const { cell: about, before, after, change, lateEvents } of view.changes) {
    const c = about as { asOf?: string; end?: string; endDate?: string; period?: string; group: GroupView | null; step?: string; series: string; category?: string | null };
    lines.push([
      view.question, view.from, view.to, c.asOf ?? c.end ?? c.endDate ?? null, c.period ?? null, ...fields(c.group === null ? 'none' : view.groupBy, view, c.group),
      c.step ?? null, c.series, c.category ?? null, ...cellFields(before), ...cellFields(after), change, ...cellFields(lateEvents),
    ]);
  }
  return lines;
}
