import fc from 'fast-check';
import { cell, type Cell } from './suppression';
import { breakdownLines, cellsOf, marginsOf, suppressAcross, type TablePart } from './tables';

const shown = (value: number): Cell => ({ value, suppressed: false });
const hidden: Cell = { value: null, suppressed: true };
const PROVINCES = ['10000', '20001', '30000', '40000'];
const SEXES = ['female', 'male', 'x', 'unknown'];

/** A table of active persons by province and sex (values[p][s]), with its margins suppressed as their own answers are. */
function provinceBySex(values: number[][], threshold: number) {
  const part = (group: TablePart['group'], n: number, suppressBelow = threshold): TablePart => ({ group, body: { active: cell(n, n, suppressBelow) } });
  const ours = values.flatMap((row, p) => row.map((n, s) => part({ nis: PROVINCES[p], name: PROVINCES[p], sex: SEXES[s] }, n)));
  const raw = values.flatMap((row, p) => row.map((n, s) => part({ nis: PROVINCES[p], name: PROVINCES[p], sex: SEXES[s] }, n, 0)));
  const byProvince = values.map((row, p) => part({ nis: PROVINCES[p], name: PROVINCES[p] }, row.reduce((a, b) => a + b, 0)));
  const sexTotals = SEXES.slice(0, values[0].length).map((_, s) => values.reduce((sum, row) => sum + row[s], 0));
  const all = sexTotals.reduce((a, b) => a + b, 0);
  // The sex margin is itself an answer grouped by the person: suppressed across its groups against the whole.
  const bySex = sexTotals.map((n, s) => part({ sex: SEXES[s] }, n));
  suppressAcross(
    { parts: bySex, within: [] },
    { parts: sexTotals.map((n, s) => part({ sex: SEXES[s] }, n, 0)), within: [] },
    [{ dimension: 'sex', parts: [part(null, all)] }],
  );
  suppressAcross({ parts: ours, within: [] }, { parts: raw, within: [] }, [
    { dimension: 'place', parts: bySex },
    { dimension: 'sex', parts: byProvince },
  ]);
  const at = (p: number, s: number) => (ours[p * values[0].length + s].body as { active: Cell }).active;
  return { at, byProvince: byProvince.map((p) => (p.body as { active: Cell }).active), bySex: bySex.map((p) => (p.body as { active: Cell }).active) };
}

describe('secondary suppression across the groups of a table', () => {
  it('names the margins of an answer grouped by the person, and none of one grouped by a place alone', () => {
    expect(marginsOf('province,sex')).toEqual([
      { dimension: 'place', groupBy: 'sex' },
      { dimension: 'sex', groupBy: 'province' },
    ]);
    expect(marginsOf('municipality,sex,ageBand').map((margin) => margin.groupBy)).toEqual(['sex,ageBand', 'municipality,ageBand', 'municipality,sex']);
    expect(marginsOf('ageBand')).toEqual([{ dimension: 'ageBand', groupBy: 'none' }]);
    expect(marginsOf('province')).toEqual([]);
    expect(marginsOf('none')).toEqual([]);
    // VDAB's cohort is one more dimension: coarsened like the others, a margin only beside sex or age band.
    expect(marginsOf('ageBand,cohort')).toEqual([
      { dimension: 'ageBand', groupBy: 'cohort' },
      { dimension: 'cohort', groupBy: 'ageBand' },
    ]);
    expect(marginsOf('province,cohort')).toEqual([]);
  });

  it('finds cells by path and the breakdowns beside a total', () => {
    const body = { group: { sex: 'x' }, registrations: shown(1), rehousings: { total: shown(3), byReason: { a: shown(1), b: shown(2) } } };
    expect([...cellsOf(body).keys()]).toEqual(['registrations', 'rehousings.total', 'rehousings.byReason.a', 'rehousings.byReason.b']);
    expect(breakdownLines(body)).toEqual([{ total: 'rehousings.total', parts: ['rehousings.byReason.a', 'rehousings.byReason.b'] }]);
  });

  it('hides a second cell of a row whose province total is published, and follows the column it opens', () => {
    // Antwerpen: 3 women (hidden), 9 men; Vlaams-Brabant: 8 women, 7 men. Antwerpen's 12 would give the 3 away.
    const { at } = provinceBySex(
      [
        [3, 9],
        [8, 7],
      ],
      5,
    );
    expect([at(0, 0), at(0, 1)]).toEqual([hidden, hidden]);
    // The men's column now has one hidden cell against the men's total: Vlaams-Brabant's men go too, then its row takes its women.
    expect([at(1, 0), at(1, 1)]).toEqual([hidden, hidden]);
  });

  it('leaves a table alone when no line gives a cell away', () => {
    const { at } = provinceBySex(
      [
        [6, 9],
        [8, 7],
      ],
      5,
    );
    expect([at(0, 0), at(0, 1), at(1, 0), at(1, 1)]).toEqual([shown(6), shown(9), shown(8), shown(7)]);
  });

  it('never leaves a hidden cell that a row or column and its published total give away, but through zeros (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.oneof(fc.constant(0), fc.nat(14)), { minLength: 16, maxLength: 16 }),
        (provinces, sexes, threshold, flat) => {
          const values = Array.from({ length: provinces }, (_, p) => flat.slice(p * 4, p * 4 + sexes));
          const { at, byProvince, bySex } = provinceBySex(values, threshold);
          const lines = [
            ...values.map((row, p) => ({ total: byProvince[p], parts: row.map((n, s) => ({ n, c: at(p, s) })) })),
            ...bySex.map((total, s) => ({ total, parts: values.map((row, p) => ({ n: row[s], c: at(p, s) })) })),
          ];
          values.forEach((row, p) =>
            row.forEach((n, s) => {
              if (n > 0 && n < threshold) expect(at(p, s).suppressed).toBe(true);
              if (!at(p, s).suppressed) expect(at(p, s).value).toBe(n);
            }),
          );
          for (const { total, parts } of lines) {
            if (total.suppressed) continue;
            const lone = parts.filter(({ c, n }) => c.suppressed && n > 0);
            if (lone.length !== 1) continue;
            // Given away only where every other part counting anyone is the one such part of a line whose published total shows it.
            const others = parts.filter(({ c, n }) => !c.suppressed && n > 0);
            expect(others.length).toBeGreaterThan(0);
            for (const other of others) {
              const pinning = lines.some((line) => !line.total.suppressed && line.parts.filter(({ n }) => n > 0).length === 1 && line.parts.some(({ c }) => c === other.c));
              expect(pinning).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
