import { addDateDuration, addDays, addMonths, daysBetween, endOfMonth, isCalendarDate, isDateDuration, isSupportedDate, nextDay } from './iso-date';

describe('calendar dates', () => {
  it.each(['2024-02-29', '2000-02-29', '2025-12-31', '2022-02-24'])('accepts %s', (date) => {
    expect(isCalendarDate(date)).toBe(true);
  });

  it.each(['2023-02-29', '1900-02-29', '2023-02-30', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '2024-1-01', '24-01-01', '2024-01-01T00:00', ''])(
    'rejects %p',
    (date) => {
      expect(isCalendarDate(date)).toBe(false);
    },
  );

  it('reads a date as the pattern YYYY-MM-DD and the days of its month do, for every month and day of leap and common years, and text near that shape', () => {
    // The reading it replaced (a match and its parts), kept as the oracle of the digit-by-digit one.
    const oracle = (value: string): boolean => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!match) return false;
      const [year, month, day] = match.slice(1).map(Number);
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
      return days !== undefined && day >= 1 && day <= days;
    };
    const two = (n: number) => String(n).padStart(2, '0');
    const dates: string[] = [];
    for (const year of ['0000', '0001', '0004', '0100', '0400', '1900', '1999', '2000', '2023', '2024', '2100', '9999']) {
      for (let month = 0; month <= 13; month++) for (let day = 0; day <= 32; day++) dates.push(`${year}-${two(month)}-${two(day)}`);
    }
    // Near the shape: each character of a valid date replaced by a neighbour, a non-ASCII digit, a
    // separator or nothing, and the date with something before or after it.
    const near = ['2024-02-29', '2023-12-31'].flatMap((date) => [
      ...[...date].flatMap((_, at) => ['/', ' ', 'T', '\n', '٣', '０', ':', '.', 'a', ''].map((other) => date.slice(0, at) + other + date.slice(at + 1))),
      `${date}\n`, ` ${date}`, `${date}T00:00`, `+${date}`, `${date}0`, date.slice(1),
    ]);
    const mismatches = [...dates, ...near].filter((value) => isCalendarDate(value) !== oracle(value));
    expect(mismatches).toEqual([]);
    // Both kinds are there: the table is no vacuous agreement.
    expect(dates.filter(oracle).length).toBeGreaterThan(1000);
    expect(dates.filter((value) => !oracle(value)).length).toBeGreaterThan(1000);
  });

  it.each(['1900-01-01', '1985-07-30', '2099-12-31'])('supports %s', (date) => {
    expect(isSupportedDate(date)).toBe(true);
  });

  it.each(['0000-01-01', '1899-12-31', '2100-01-01', '9999-12-31', '2023-02-29'])('does not support %s', (date) => {
    expect(isSupportedDate(date)).toBe(false);
  });

  it('finds the next day across month and year ends', () => {
    expect(nextDay('2024-12-31')).toBe('2025-01-01');
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(nextDay('2018-12-31')).toBe('2019-01-01');
  });

  it('counts days and steps days and months across month, year and leap-day ends', () => {
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2022-12-25', 10)).toBe('2023-01-04');
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2023-01-04', '2022-12-25')).toBe(-10);
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2024-03-31', -1)).toBe('2024-02-29');
    expect(addMonths('2024-11-30', -12)).toBe('2023-11-30');
    expect(addMonths('2022-11-15', 3)).toBe('2023-02-15');
    expect(endOfMonth('2024-02-10')).toBe('2024-02-29');
    expect(endOfMonth('2023-12-01')).toBe('2023-12-31');
  });

  it("steps days and months and finds a month's end as Date's arithmetic does, for every day of leap and common years and steps across months and years", () => {
    // The arithmetic it replaced within a month, kept as the oracle: a Date in UTC and its ISO text.
    const [dateDays, dateEnd] = [
      (date: string, days: number) => {
        const [year, month, day] = date.split('-').map(Number);
        return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
      },
      (date: string) => {
        const [year, month] = date.split('-').map(Number);
        return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
      },
    ];
    const dateMonths = (date: string, months: number) => {
      const [year, month, day] = date.split('-').map(Number);
      const lastDay = new Date(Date.UTC(year, month - 1 + months + 1, 0)).getUTCDate();
      return new Date(Date.UTC(year, month - 1 + months, Math.min(day, lastDay))).toISOString().slice(0, 10);
    };
    const two = (n: number) => String(n).padStart(2, '0');
    // Compared as two lists at the end (an expect per step took seconds).
    const [got, want]: [string[], string[]] = [[], []];
    const compare = (ours: string, theirs: string) => (got.push(ours), want.push(theirs));
    for (const year of [1000, 1900, 1999, 2000, 2023, 2024, 2100, 9999]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          const date = `${year}-${two(month)}-${two(day)}`;
          if (!isCalendarDate(date)) continue;
          compare(endOfMonth(date), dateEnd(date));
          for (const months of [-13, -1, 1, 12, 25]) compare(addMonths(date, months), dateMonths(date, months));
          for (const days of [-400, -60, -31, -29, -28, -1, 0, 1, 2, 27, 28, 30, 31, 59, 366]) {
            compare(addDays(date, days), dateDays(date, days));
          }
        }
      }
    }
    expect(got.length).toBeGreaterThan(60_000);
    expect(got).toEqual(want);
  });
});

describe('calendar durations', () => {
  it.each([
    ['2026-11-24', 'P5Y', '2031-11-24'],
    ['2024-02-29', 'P1Y', '2025-02-28'],
    ['2026-01-31', 'P1M', '2026-02-28'],
    ['2026-11-24', 'P1Y6M', '2028-05-24'],
    ['2026-12-30', 'P2D', '2027-01-01'],
    ['2026-11-24', 'P2W', '2026-12-08'],
    ['2026-11-24', 'P0D', '2026-11-24'],
  ])('%s + %s is %s', (date, duration, expected) => {
    expect(addDateDuration(date, duration)).toBe(expected);
  });

  it.each(['P', '5Y', 'P5', 'PT5H', 'P-1Y', 'P1.5Y', ''])('rejects %p', (duration) => {
    expect(isDateDuration(duration)).toBe(false);
    expect(() => addDateDuration('2026-01-01', duration)).toThrow(RangeError);
  });
});
