import fc from 'fast-check';
import { breakdown, cell } from './suppression';

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
});
