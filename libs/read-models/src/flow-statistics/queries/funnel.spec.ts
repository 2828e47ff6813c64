import fc from 'fast-check';
import { medianOf } from '@app/testing';
import { WAIT_BAND_DAYS, waitBand } from '../aggregates';
import { medianOfCounts, middleBands, waitsFromBands } from './funnel';

/** How many times each value is in the list. */
const countsOf = (values: readonly number[]) => values.reduce((counts, value) => counts.set(value, (counts.get(value) ?? 0) + 1), new Map<number, number>());

describe("the funnel's median of kept counts", () => {
  it('is the median of the list holding each value as many times as counted', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -30, max: 2_000 }), { maxLength: 60 }), (values) => {
        expect(medianOfCounts(countsOf(values))).toBe(medianOf(values));
      }),
      { numRuns: 500 },
    );
  });

  it('weighs large counts without listing them, whatever order the values come in', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 1, max: 400 })), { maxLength: 12 }), (pairs) => {
        const counts = new Map<number, number>();
        for (const [value, n] of pairs) counts.set(value, (counts.get(value) ?? 0) + n);
        const list = [...counts].flatMap(([value, n]) => Array.from({ length: n }, () => value));
        expect(medianOfCounts(counts)).toBe(medianOf(list));
      }),
    );
  });

  it('takes the mean of the two middle values of an even count, and ignores values counted 0 times', () => {
    expect(medianOfCounts(new Map())).toBeNull();
    expect(medianOfCounts(new Map([[7, 0]]))).toBeNull();
    expect(medianOfCounts(new Map([[3, 1], [8, 0], [10, 1]]))).toBe(6.5);
    expect(medianOfCounts(new Map([[10, 2], [3, 2]]))).toBe(6.5);
    expect(medianOfCounts(new Map([[10, 2], [3, 1]]))).toBe(10);
    expect(medianOfCounts(new Map([[4, 1_000_000], [9, 999_999]]))).toBe(4);
  });

  it('is the median of every wait when only the middle bands are known to the day', () => {
    // Waits spread over many bands, or crowded into a few (two middle values in two bands, or in one).
    const waits = fc.oneof(fc.integer({ min: 0, max: 1_800 }), fc.integer({ min: WAIT_BAND_DAYS - 3, max: WAIT_BAND_DAYS + 2 }));
    fc.assert(
      fc.property(fc.array(waits, { maxLength: 80 }), (values) => {
        const bands = countsOf(values.map(waitBand));
        const middle = middleBands(bands);
        expect(middle.size).toBeLessThanOrEqual(2);
        // Only the middle bands' waits are read to the day.
        const days = countsOf(values.filter((wait) => middle.has(waitBand(wait))));
        expect(medianOfCounts(waitsFromBands(bands, days))).toBe(medianOf(values));
        // Days of other bands, if a read brought them (another group's middle bands), change nothing.
        expect(medianOfCounts(waitsFromBands(bands, countsOf(values)))).toBe(medianOf(values));
      }),
      { numRuns: 500 },
    );
    // Two middle values in two bands: 10 and 40 days, the mean of both.
    const bands = new Map([[0, 1], [1, 1]]);
    expect(middleBands(bands)).toEqual(new Set([0, 1]));
    expect(medianOfCounts(waitsFromBands(bands, new Map([[10, 1], [40, 1]])))).toBe(25);
  });
});
