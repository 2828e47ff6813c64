import { percentile, perSecond, ratio, round, summariseLatencies } from './stats';

describe('bench statistics', () => {
  it('takes percentiles by nearest rank, never interpolating', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 20)).toBe(1);
    expect(percentile(samples, 21)).toBe(2);
    expect(percentile(samples, 50)).toBe(3);
    expect(percentile(samples, 99)).toBe(5);
    expect(percentile(samples, 100)).toBe(5);
  });

  it('puts p99 of 100 samples on the 99th and of 1000 on the 990th', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 99)).toBe(99);
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(thousand, 99)).toBe(990);
    expect(percentile(thousand, 50)).toBe(500);
  });

  it('does not reorder the caller’s samples', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('answers NaN without samples and refuses percentiles outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('summarises latencies rounded to hundredths of a millisecond', () => {
    expect(summariseLatencies([1.004, 2.5, 3.333])).toEqual({ count: 3, p50: 2.5, p99: 3.33, max: 3.33, mean: 2.28 });
  });

  it('computes rates and ratios, with no ratio without a ceiling', () => {
    expect(perSecond(500, 250)).toBe(2000);
    expect(perSecond(5, 0)).toBe(0);
    expect(ratio(600, 1000)).toBe(0.6);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(1, null)).toBeNull();
    expect(round(1.23456, 2)).toBe(1.23);
  });
});
