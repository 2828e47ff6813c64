import type { Cell } from './suppression';
import type { FlowGroup, FlowsView, GroupView, StockView } from './statistics.service';

/**
 * Statistics as CSV: long format, one row per number, a header row, RFC 4180 quoting, CRLF.
 * A suppressed number has an empty `value` and `suppressed` true.
 */
const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const line = (fields: Array<string | number | null>) => fields.map((field) => quote(field === null ? '' : String(field))).join(',');

type Row = [measure: string, category: string, cell: Cell];

function rowsOf(object: Record<string, unknown>, measure = ''): Row[] {
  const rows: Row[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (key === 'group') continue;
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

export function stockCsv(view: StockView): string {
  const lines = [line(['as_of', 'group_by', 'group_code', 'group_name', 'measure', 'category', 'value', 'suppressed'])];
  for (const group of view.groups) {
    for (const [measure, category, cell] of rowsOf(group as unknown as Record<string, unknown>)) {
      lines.push(line([view.asOf, view.groupBy, ...groupFields(group.group), measure, category, ...cellFields(cell)]));
    }
  }
  return lines.join('\r\n') + '\r\n';
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
  return lines.join('\r\n') + '\r\n';
}
