import { timeOrderedUuid } from './time-ordered-uuid';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID (RFC 9562) whose first 48 bits are the milliseconds it was made at', () => {
    const at = Date.parse('2026-12-05T11:40:00.123Z');
    const id = timeOrderedUuid(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts ids made in later milliseconds after earlier ones, as text and as PostgreSQL orders uuids (byte by byte)', () => {
    const start = Date.parse('2022-03-01T00:00:00Z');
    const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedUuid(start + i * 7919));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs within one millisecond: 74 random bits', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedUuid(at)));
    expect(ids.size).toBe(10_000);
  });
});
