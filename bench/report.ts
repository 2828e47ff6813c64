/** One line of the results: a measured figure, its ceiling and target where it has them. */
export interface Figure {
  readonly scenario: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** The raw ceiling measured in the same run, in the same unit. */
  readonly ceiling?: number | null;
  /** value / ceiling. */
  readonly ratio?: number | null;
  /** e.g. ">= 0.6x ceiling", "<= 20 ms". */
  readonly target?: string;
  readonly met?: boolean | null;
  /** Extrapolated, test-server, partial: anything the number alone does not say. */
  readonly note?: string;
}

const formatNumber = (value: number | null | undefined): string => {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Math.round(value * 100) / 100);
};

/** The figures as a plain-text table (scenario, figure, value, ceiling, ratio, target, met?). */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['scenario', 'figure', 'value', 'ceiling', 'ratio', 'target', 'met?', 'note'];
  const rows = figures.map((f) => [
    f.scenario,
    f.figure,
    `${formatNumber(f.value)} ${f.unit}`.trim(),
    f.ceiling === undefined || f.ceiling === null ? '' : `${formatNumber(f.ceiling)} ${f.unit}`,
    f.ratio === undefined || f.ratio === null ? '' : `${f.ratio.toFixed(2)}x`,
    f.target ?? '',
    f.met === undefined || f.met === null ? '' : f.met ? 'yes' : 'NO',
    f.note ?? '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 2 || column === 3 || column === 4 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

/** A results file name for a run started at that moment: its ISO timestamp, colons made safe. */
export function resultsFileName(startedAt: Date): string {
  return `${startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`;
}
