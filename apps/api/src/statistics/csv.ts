import type { Cell, FlowGroup, FlowsView, FunnelView, GroupView, OutlookView, StockOverTimeView, StockView } from '@app/read-models';

/**
 * Statistics as CSV: long format, one row per number, a header row, RFC 4180 quoting, CRLF.
 * A suppressed number has an empty `value` and `suppressed` true.
 */
const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const line = (fields: Array<string | number | null>) => fields.map((field) => quote(field === null ? '' : String(field))).join(',');

type Row = [measure: string, category: string, cell: Cell];

/** Keys of an answer that are not numbers: what a row is about, said in its own columns. */
const NOT_MEASURES = new Set(['group', 'step', 'endDate', 'endDatePassed', 'kind', 'method']);

function rowsOf(object: Record<string, unknown>, measure = ''): Row[] {
  const rows: Row[] = [];
  for (const [key, value] of Object.entries(object)) {
    // A measure that does not apply (a rate of the first funnel step) is null: no row.
    if (NOT_MEASURES.has(key) || value === null) continue;
    const v = value as Record<string, unknown>;
    if (typeof v.suppressed === 'boolean') {
      rows.push(measure ? [measure, key === 'total' ? '' : key, v as unknown as Cell] : [key, '', v as unknown as Cell]);
    } else {
      // A breakdown: { total, byX: { category: cell } } or { category: cell }.
      rows.push(...rowsOf(v, measure || key));
    }
  }
  return rows;
}

const groupFields = (group: GroupView | null) => [group?.nis ?? null, group?.name ?? null];
const cellFields = (cell: Cell) => [cell.value, String(cell.suppressed)];

const STOCK_HEADER = line(['as_of', 'group_by', 'group_code', 'group_name', 'measure', 'category', 'value', 'suppressed']);
const csvText = (lines: string[]) => lines.join('\r\n') + '\r\n';

function stockLines(view: Pick<StockView, 'asOf' | 'groupBy' | 'groups'>): string[] {
  return view.groups.flatMap((group) =>
    rowsOf(group as unknown as Record<string, unknown>).map(([measure, category, cell]) =>
      line([view.asOf, view.groupBy, ...groupFields(group.group), measure, category, ...cellFields(cell)]),
    ),
  );
}

export function stockCsv(view: StockView): string {
  return csvText([STOCK_HEADER, ...stockLines(view)]);
}

/** The stock on each date, in the columns of the stock on one date. */
export function stockOverTimeCsv(view: StockOverTimeView): string {
  return csvText([STOCK_HEADER, ...view.points.flatMap((point) => stockLines({ ...point, groupBy: view.groupBy }))]);
}

export function funnelCsv(view: FunnelView): string {
  const lines = [line(['cohort', 'as_of', 'residence_status', 'step', 'measure', 'value', 'suppressed'])];
  for (const step of view.steps) {
    for (const [measure, , cell] of rowsOf(step as unknown as Record<string, unknown>)) {
      lines.push(line([view.cohort, view.asOf, view.residenceStatus, step.step, measure, ...cellFields(cell)]));
    }
  }
  return csvText(lines);
}

/** One row per number of every group of every end date; a projection's rows carry the scenario's monthly rates. */
export function outlookCsv(view: OutlookView): string {
  const lines = [
    line([
      'end_date', 'end_date_passed', 'kind', 'last_business_date', 'arrival_rate', 'departure_rate', 'transition_rate',
      'group_by', 'group_code', 'group_name', 'measure', 'category', 'value', 'suppressed',
    ]),
  ];
  for (const scenario of view.scenarios) {
    const projected = scenario.kind === 'projection' && view.scenario;
    const rates = projected ? [view.scenario!.arrivals.monthly, view.scenario!.departures.monthly, view.scenario!.transitions.monthly] : [null, null, null];
    for (const group of scenario.groups) {
      for (const [measure, category, cell] of rowsOf(group as unknown as Record<string, unknown>)) {
        lines.push(line([
          scenario.endDate, String(scenario.endDatePassed), scenario.kind, view.lastBusinessDate, ...rates,
          view.groupBy, ...groupFields(group.group), measure, category, ...cellFields(cell),
        ]));
      }
    }
  }
  return csvText(lines);
}

export function flowsCsv(view: FlowsView): string {
  const lines = [
    line(['period', 'period_start', 'period_end', 'group_by', 'group_code', 'group_name', 'measure', 'category', 'value', 'suppressed']),
  ];
  for (const period of view.periods) {
    for (const group of period.groups as FlowGroup[]) {
      for (const [measure, category, cell] of rowsOf(group as unknown as Record<string, unknown>)) {
        lines.push(line([period.period, period.start, period.end, view.groupBy, ...groupFields(group.group), measure, category, ...cellFields(cell)]));
      }
    }
  }
  return csvText(lines);
}
