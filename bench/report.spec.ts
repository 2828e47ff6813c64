import { formatTable, resultsFileName, type Figure } from './report';

describe('bench report', () => {
  it('lines figures up under their header, marking missed targets', () => {
    const figures: Figure[] = [
      { scenario: 'commands (PostgreSQL)', figure: 'throughput', value: 812.345, unit: 'events/s', ceiling: 2000, ratio: 0.406, target: '>= 0.6x ceiling', met: false },
      { scenario: 'queries', figure: 'stock p99', value: 4.2, unit: 'ms', target: '<= 20 ms', met: true, note: '100,000 dossiers' },
    ];
    const lines = formatTable(figures).split('\n');
    expect(lines[0]).toMatch(/^scenario\s+\| figure\s+\| +value \| +ceiling \| ratio \| target\s+\| met\? \| note$/);
    expect(lines[1]).toMatch(/^-+-\|-/);
    expect(lines[2]).toContain('812 events/s');
    expect(lines[2]).toContain('2,000 events/s');
    expect(lines[2]).toContain('0.41x');
    expect(lines[2]).toContain('| NO');
    expect(lines[3]).toContain('4.2 ms');
    expect(lines[3]).toContain('| yes');
    expect(new Set(lines.slice(0, 4).map((line) => line.indexOf('|')))).toEqual(new Set([lines[0].indexOf('|')]));
  });

  it('names results files by the run’s start, without characters file systems dislike', () => {
    expect(resultsFileName(new Date('2026-11-24T02:38:45.123Z'))).toBe('2026-11-24T02-38-45Z.json');
  });
});
