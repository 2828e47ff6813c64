import { ageBandsSince, birthdayOf } from './age-band';

describe('age bands', () => {
  it('a birthday is the same day and month, 1 March for 29 February outside leap years', () => {
    expect(birthdayOf('1985-07-30', 18)).toBe('2003-07-30');
    expect(birthdayOf('2004-02-29', 18)).toBe('2022-03-01');
    expect(birthdayOf('2004-02-29', 20)).toBe('2024-02-29');
  });

  it('a birthday of every day of two years, at every age a band starts, is the one the calendar gives', () => {
    for (let day = Date.UTC(2003, 0, 1); day < Date.UTC(2005, 0, 1); day += 86_400_000) {
      const born = new Date(day);
      const birthDate = born.toISOString().slice(0, 10);
      for (const age of [18, 25, 45, 65, 1000]) {
        const sameDay = new Date(Date.UTC(born.getUTCFullYear() + age, born.getUTCMonth(), born.getUTCDate()));
        const expected = sameDay.getUTCDate() === born.getUTCDate() ? sameDay : new Date(Date.UTC(born.getUTCFullYear() + age, 2, 1));
        expect(birthdayOf(birthDate, age)).toBe(expected.toISOString().slice(0, 10));
      }
    }
  });

  it('keeps the band on the first day and the bands that start after it', () => {
    expect(ageBandsSince('1985-07-30', '2022-03-24')).toEqual([
      { from: '2022-03-24', to: '2030-07-30', ageBand: '25-44' },
      { from: '2030-07-30', to: '2050-07-30', ageBand: '45-64' },
      { from: '2050-07-30', to: null, ageBand: '65+' },
    ]);
    // Turning 18 on the first day: already 18-24 on it.
    expect(ageBandsSince('2004-03-01', '2022-03-01')[0]).toEqual({ from: '2022-03-01', to: '2029-03-01', ageBand: '18-24' });
    expect(ageBandsSince('2004-03-02', '2022-03-01')[0]).toEqual({ from: '2022-03-01', to: '2022-03-02', ageBand: '0-17' });
  });

  it('says nothing of a birth date before 65 years before the first day, and unknown without one', () => {
    expect(ageBandsSince('1940-01-01', '2022-03-01')).toEqual([{ from: '2022-03-01', to: null, ageBand: '65+' }]);
    expect(ageBandsSince(null, '2022-03-01')).toEqual([{ from: '2022-03-01', to: null, ageBand: 'unknown' }]);
  });

  it('counts a birth date after the first day as age 0', () => {
    expect(ageBandsSince('2023-01-01', '2022-03-01')[0]).toEqual({ from: '2022-03-01', to: '2041-01-01', ageBand: '0-17' });
  });
});
