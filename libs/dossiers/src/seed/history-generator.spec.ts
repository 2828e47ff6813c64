import { decideInTurn, defaultMunicipalityDirectory, type DossierEvent, type DossierState } from '@app/domain';
import { HistoryGenerator } from './history-generator';

const TODAY = '2026-11-23';

/** Person `index` decided on the rules; every command must be accepted. */
function play(generator: HistoryGenerator, index: number): { events: DossierEvent[]; state: DossierState } | undefined {
  const person = generator.person(index);
  if (!person) return undefined;
  const played = decideInTurn([{ ...person.registration, dossierId: `d-${index}` }, ...person.commands], {
    today: TODAY,
    municipalities: defaultMunicipalityDirectory,
  });
  expect({ index, refusal: played.refusal }).toEqual({ index, refusal: undefined });
  return played;
}

describe('HistoryGenerator', () => {
  it('is deterministic: the same seed gives the same people', () => {
    const a = new HistoryGenerator(42, TODAY);
    const b = new HistoryGenerator(42, TODAY);
    for (let i = 1; i <= 50; i++) expect(a.person(i)).toEqual(b.person(i));
    expect(new HistoryGenerator(43, TODAY).person(1)).not.toEqual(new HistoryGenerator(42, TODAY).person(1));
  });

  it('produces histories every rule of the domain accepts, with the published shapes', () => {
    const generator = new HistoryGenerator(2022, TODAY);
    const people = Array.from({ length: 2000 }, (_, i) => play(generator, i + 1)).filter((p) => p !== undefined);
    const count = (predicate: (events: DossierEvent[]) => boolean) => people.filter((p) => predicate(p.events)).length;
    const has = (type: DossierEvent['type']) => (events: DossierEvent[]) => events.some((e) => e.type === type);
    const registeredOn = (events: DossierEvent[]) => (events[0].type === 'DossierRegistered' ? events[0].data.registeredOn : '');

    const registeredIn2022Spring = count((events) => registeredOn(events) >= '2022-03-01' && registeredOn(events) < '2022-07-01');
    const registeredByMid2024 = count((events) => registeredOn(events) <= '2024-06-30');
    const leftByMid2024 = count((events) => events.some((e) => e.type === 'PersonLeft' && e.data.on <= '2024-06-30'));
    const vdab = count(has('VdabRegistered'));
    const everEmployed = count(has('EmploymentStarted'));
    const stillWorking = people.filter((p) => p.state.status === 'active' && p.state.employment !== null).length;
    const firstHousingHostFamily = count((events) => events.find((e) => e.type === 'PersonHoused')?.data.housingType === 'host-family');

    expect(people.length).toBe(2000);
    expect(registeredIn2022Spring / people.length).toBeGreaterThan(0.4);
    // "About 20% of those registered in Flanders had left by mid-2024."
    expect(leftByMid2024 / registeredByMid2024).toBeGreaterThan(0.17);
    expect(leftByMid2024 / registeredByMid2024).toBeLessThan(0.23);
    expect(everEmployed / vdab).toBeGreaterThan(0.4);
    expect(everEmployed / vdab).toBeLessThan(0.65);
    expect(stillWorking / vdab).toBeGreaterThan(0.2);
    expect(stillWorking / vdab).toBeLessThan(0.45);
    expect(firstHousingHostFamily / people.length).toBeGreaterThan(0.35);
  });

  it('has arrivals every month up to today, in 2025 and 2026 at a rate like mid-2024 (Belgium: 1,000-1,100 a month)', () => {
    const generator = new HistoryGenerator(2022, TODAY);
    const months = new Map<string, number>();
    for (let i = 1; i <= 2000; i++) {
      const month = generator.person(i)!.registration.registeredOn.slice(0, 7);
      months.set(month, (months.get(month) ?? 0) + 1);
    }
    const registeredByMid2024 = [...months].filter(([month]) => month <= '2024-06').reduce((sum, [, n]) => sum + n, 0);
    const monthlyShare = (from: string, to: string) => {
      const inRange = [...months].filter(([month]) => month >= from && month <= to);
      return inRange.reduce((sum, [, n]) => sum + n, 0) / inRange.length / registeredByMid2024;
    };
    for (let m = new Date(Date.UTC(2022, 2, 1)); m.toISOString() < `${TODAY.slice(0, 7)}-02`; m.setUTCMonth(m.getUTCMonth() + 1)) {
      expect([m.toISOString().slice(0, 7), (months.get(m.toISOString().slice(0, 7)) ?? 0) > 0]).toEqual([m.toISOString().slice(0, 7), true]);
    }
    expect([...months.keys()].sort().at(-1)).toBe(TODAY.slice(0, 7));
    // Flanders is about 55% of Belgium's arrivals, so some 600 a month over about 43,000 registered by mid-2024.
    for (const [from, to] of [['2024-01', '2024-12'], ['2025-01', '2025-12'], ['2026-01', '2026-10']]) {
      expect(monthlyShare(from, to)).toBeGreaterThan(0.007);
      expect(monthlyShare(from, to)).toBeLessThan(0.02);
    }
  });

  it('never goes past the today it is given', () => {
    const earlier = new HistoryGenerator(2022, '2025-06-30');
    const later = new HistoryGenerator(2022, TODAY);
    const lastDate = (g: HistoryGenerator, i: number) => {
      const person = g.person(i)!;
      return [person.registration.registeredOn, ...person.commands.map((c) => ('on' in c ? c.on : ''))].sort().at(-1)!;
    };
    for (let i = 1; i <= 200; i++) {
      expect(lastDate(earlier, i) <= '2025-06-30').toBe(true);
      expect(lastDate(later, i) <= TODAY).toBe(true);
    }
  });
});
