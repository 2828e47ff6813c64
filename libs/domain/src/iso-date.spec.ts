import { isCalendarDate, nextDay } from './iso-date';

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

  it('finds the next day across month and year ends', () => {
    expect(nextDay('2024-12-31')).toBe('2025-01-01');
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(nextDay('2018-12-31')).toBe('2019-01-01');
  });
});
