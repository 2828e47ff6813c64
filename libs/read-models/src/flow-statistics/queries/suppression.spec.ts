import fc from 'fast-check';
import { breakdown, cell, complementary, personsBreakdown, type Line } from './suppression';

const n = (value: number, persons = value) => ({ value, persons });
const hidden = { value: null, suppressed: true };
const shown = (value: number) => ({ value, suppressed: false });

describe('suppression', () => {
  it('hides 1 to threshold-1 persons, shows zeros and larger counts', () => {
    expect([0, 1, 4, 5, 12].map((v) => cell(v, v, 5))).toEqual([shown(0), hidden, hidden, shown(5), shown(12)]);
    expect(cell(6, 3, 5)).toEqual(hidden); // six events of three persons
    expect(cell(3, 3, 0)).toEqual(shown(3));
  });

  it('hides one more part when a lone small part could be worked out from the total', () => {
    expect(breakdown(n(20), { a: n(2), b: n(7), c: n(11), d: n(0) }, 5)).toEqual({
      total: shown(20),
      parts: { a: hidden, b: hidden, c: shown(11), d: shown(0) },
    });
  });

  it('leaves a breakdown alone when the hidden parts already count enough persons together', () => {
    expect(breakdown(n(12), { a: n(3), b: n(4), c: n(5) }, 5)).toEqual({ total: shown(12), parts: { a: hidden, b: hidden, c: shown(5) } });
  });

  it('never lets the hidden parts be worked out to fewer than the threshold (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(12), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 10 }), (values, threshold) => {
        const parts = Object.fromEntries(values.map((v, i) => [`p${i}`, n(v)]));
        const total = values.reduce((a, b) => a + b, 0);
        const result = breakdown(n(total), parts, threshold);
        const cells = Object.values(result.parts);
        // Shown numbers are true, small ones never shown.
        values.forEach((v, i) => {
          const c = result.parts[`p${i}`];
          if (!c.suppressed) expect(c.value).toBe(v);
          if (v > 0 && v < threshold) expect(c.suppressed).toBe(true);
        });
        if (!result.total.suppressed) {
          expect(result.total.value).toBe(total);
          const derivable = total - cells.reduce((sum, c) => sum + (c.value ?? 0), 0);
          expect(derivable === 0 || derivable >= threshold).toBe(true);
        } else {
          expect(total > 0 && total < threshold).toBe(true);
        }
      }),
    );
  });

  it("hides what the rule says, the first named of equal parts first, whether a line's parts are named or in an array (property)", () => {
    // The rule written out naively: the small parts, then the smallest shown part counting anyone
    // (the first named of equals) while the total is shown and the hidden parts count fewer than
    // the threshold together; the total when none is left.
    const naive = (total: number, persons: number[], threshold: number) => {
      const small = (v: number) => v > 0 && v < threshold;
      const hiddenParts = persons.map(small);
      let totalHidden = small(total);
      if (hiddenParts.some(Boolean)) {
        while (!totalHidden && persons.reduce((sum, v, i) => sum + (hiddenParts[i] ? v : 0), 0) < threshold) {
          const shownParts = persons.map((v, i) => [v, i]).filter(([v, i]) => !hiddenParts[i] && v > 0);
          if (shownParts.length === 0) totalHidden = true;
          else hiddenParts[shownParts.reduce((min, part) => (part[0] < min[0] ? part : min))[1]] = true;
        }
      }
      return { total: totalHidden ? hidden : shown(total), parts: persons.map((v, i) => (hiddenParts[i] ? hidden : shown(v))) };
    };
    fc.assert(
      fc.property(fc.array(fc.nat(9), { maxLength: 12 }), fc.integer({ min: 0, max: 12 }), fc.nat(3), (persons, threshold, extra) => {
        const total = persons.reduce((a, b) => a + b, 0) + extra;
        const expected = naive(total, persons, threshold);
        expect(personsBreakdown(total, persons, threshold)).toEqual(expected);
        const named = breakdown(n(total), Object.fromEntries(persons.map((v, i) => [`g${i}|`, n(v)])), threshold);
        expect({ total: named.total, parts: persons.map((_, i) => named.parts[`g${i}|`]) }).toEqual(expected);
      }),
    );
  });

  describe('complementary suppression within a table', () => {
    // active = tp + tr; tp and tr split by stage a/b/c, and so does active.
    const table = (v: Record<string, number>): Line[] =>
      [
        { total: 'active', parts: ['tp', 'tr'] },
        { total: 'active', parts: ['a', 'b', 'c'] },
        { total: 'tp', parts: ['tp:a', 'tp:b', 'tp:c'] },
        { total: 'tr', parts: ['tr:a', 'tr:b', 'tr:c'] },
        ...['a', 'b', 'c'].map((stage) => ({ total: stage, parts: [`tp:${stage}`, `tr:${stage}`] })),
      ]
        .filter((line) => line.total in v)
        .map((line) => ({ ...line, parts: line.parts.filter((part) => part in v) }));

    it('hides the next-smallest part of a line with one hidden cell, and follows the lines it opens', () => {
      const values = { active: 30, tp: 20, tr: 10, a: 12, b: 10, c: 8, 'tp:a': 2, 'tp:b': 10, 'tp:c': 8, 'tr:a': 10, 'tr:b': 0, 'tr:c': 0 };
      // tp:a (2) is small. Its row hides tp:c (8, the next-smallest), its column tr:a; column c then has tp:c
      // alone beside a zero, so c is hidden; the stages of active then hide b (10) beside it, and column b
      // tp:b; the row of tr has tr:a alone beside zeros, so tr is hidden, and then tp, for active = tp + tr.
      const hidden = complementary(values, new Set(['tp:a']), table(values));
      expect([...hidden].sort()).toEqual(['b', 'c', 'tp', 'tp:a', 'tp:b', 'tp:c', 'tr', 'tr:a'].sort());
    });

    it('hides a part of a line whose total alone is hidden, as the parts would add up to it', () => {
      const values = { active: 9, tp: 3, tr: 6, a: 5, b: 4, 'tp:a': 0, 'tp:b': 3, 'tr:a': 5, 'tr:b': 1 };
      // Only a is hidden (as by another breakdown): the stages hide b beside it, column a tr:a, and column b its smallest, tr:b.
      expect([...complementary(values, new Set(['a']), table(values))].sort()).toEqual(['a', 'b', 'tr:a', 'tr:b'].sort());
    });

    it('counts a hidden total over zeros as known (it gives away a zero, and protects nothing)', () => {
      // tr hidden with tp, though nobody transitioned: its zeros give tr away, and then active gives tp away, so active goes too.
      const values = { active: 3, tp: 3, tr: 0, 'tr:a': 0, 'tr:b': 0 };
      const lines = [{ total: 'tr', parts: ['tr:a', 'tr:b'] }, { total: 'active', parts: ['tp', 'tr'] }];
      expect(complementary(values, new Set(['tp', 'tr']), lines)).toEqual(new Set(['active', 'tp', 'tr']));
    });

    it('leaves a table alone when no line has a lone hidden cell', () => {
      const values = { active: 10, tp: 6, tr: 4, 'tp:a': 3, 'tp:b': 3, 'tr:a': 2, 'tr:b': 2, a: 5, b: 5 };
      const lines = table(values);
      expect(complementary(values, new Set(['tp:a', 'tp:b', 'tr:a', 'tr:b']), lines)).toEqual(new Set(['tp:a', 'tp:b', 'tr:a', 'tr:b']));
      expect(complementary(values, new Set(), lines)).toEqual(new Set());
    });

    it('never leaves a hidden cell that one line gives away by subtraction (property)', () => {
      const stages = ['a', 'b', 'c', 'd'];
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { minLength: stages.length, maxLength: stages.length }), fc.integer({ min: 0, max: 8 }), (split, threshold) => {
          const values: Record<string, number> = {};
          stages.forEach((stage, i) => {
            values[`tp:${stage}`] = split[i][0];
            values[`tr:${stage}`] = split[i][1];
            values[stage] = split[i][0] + split[i][1];
          });
          const sum = (names: string[]) => names.reduce((total, name) => total + values[name], 0);
          values.tp = sum(stages.map((s) => `tp:${s}`));
          values.tr = sum(stages.map((s) => `tr:${s}`));
          values.active = values.tp + values.tr;
          const lines = [
            { total: 'active', parts: ['tp', 'tr'] },
            { total: 'active', parts: stages },
            { total: 'tp', parts: stages.map((s) => `tp:${s}`) },
            { total: 'tr', parts: stages.map((s) => `tr:${s}`) },
            ...stages.map((s) => ({ total: s, parts: [`tp:${s}`, `tr:${s}`] })),
          ];
          const primary = new Set(Object.keys(values).filter((name) => values[name] > 0 && values[name] < threshold));
          const hidden = complementary(values, primary, lines);
          for (const name of primary) expect(hidden.has(name)).toBe(true);
          for (const { total, parts } of lines) expect([total, ...parts].filter((name) => hidden.has(name)).length).not.toBe(1);
          for (const name of hidden) expect(values[name]).toBeGreaterThan(0);
        }),
      );
    });
  });
});
