import fc from 'fast-check';
import { activeIn, EVEN_SHARES, project, type Standing } from './projection';

const base: Standing = { underTemporaryProtection: 1000, transitioned: { 'single-permit': 100 }, left: 50 };
const none = { arrivals: 0, departures: 0, transitions: 0 };

describe('outlook projection', () => {
  it('changes nothing at rates of zero, or over zero months', () => {
    expect(project(base, none, EVEN_SHARES, 12)).toMatchObject({ underTemporaryProtection: 1000, left: 50, transitioned: { 'single-permit': 100, student: 0 } });
    expect(project(base, { arrivals: 0.1, departures: 0.1, transitions: 0.1 }, EVEN_SHARES, 0)).toEqual(base);
  });

  it('compounds departures monthly over every status, and counts them as left', () => {
    const after = project(base, { ...none, departures: 0.1 }, EVEN_SHARES, 2);
    expect(after.underTemporaryProtection).toBeCloseTo(1000 * 0.9 * 0.9);
    expect(after.transitioned['single-permit']).toBeCloseTo(100 * 0.81);
    expect(after.left).toBeCloseTo(50 + 1100 * 0.19);
  });

  it('moves people out of temporary protection by the shares given; they stay active', () => {
    const after = project(base, { ...none, transitions: 0.5 }, { 'single-permit': 0.75, student: 0.25 }, 1);
    expect(after).toMatchObject({ underTemporaryProtection: 500, left: 50 });
    expect(after.transitioned['single-permit']).toBeCloseTo(100 + 375);
    expect(after.transitioned.student).toBeCloseTo(125);
    expect(activeIn(after)).toBeCloseTo(activeIn(base));
  });

  it('brings arrivals in under temporary protection, in proportion to the active stock', () => {
    expect(project(base, { ...none, arrivals: 0.01 }, EVEN_SHARES, 1).underTemporaryProtection).toBeCloseTo(1011);
  });

  it('takes the fraction of a last month at that fraction of each rate', () => {
    const half = project(base, { ...none, departures: 0.1 }, EVEN_SHARES, 1.5);
    expect(half.underTemporaryProtection).toBeCloseTo(1000 * 0.9 * 0.95);
  });

  it('loses nobody: active and left add up to what was there plus the arrivals', () => {
    fc.assert(
      fc.property(
        fc.record({ arrivals: fc.double({ min: 0, max: 0.2, noNaN: true }), departures: fc.double({ min: 0, max: 1, noNaN: true }), transitions: fc.double({ min: 0, max: 1, noNaN: true }) }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        (rates, months) => {
          const noArrivals = project(base, { ...rates, arrivals: 0 }, EVEN_SHARES, months);
          expect(activeIn(noArrivals) + noArrivals.left).toBeCloseTo(activeIn(base) + base.left, 6);
          for (const n of [noArrivals.underTemporaryProtection, noArrivals.left, ...Object.values(noArrivals.transitioned)]) expect(n).toBeGreaterThanOrEqual(-1e-9);
        },
      ),
    );
  });
});
