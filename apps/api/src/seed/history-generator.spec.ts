import { decide, defaultMunicipalityDirectory, evolve, initialState, type DossierEvent, type DossierState } from '@app/domain';
import { HistoryGenerator } from './history-generator';

const TODAY = '2026-11-23';

function play(generator: HistoryGenerator, index: number): { events: DossierEvent[]; state: DossierState } | undefined {
  const person = generator.person(index);
  if (!person) return undefined;
  const context = { today: TODAY, municipalities: defaultMunicipalityDirectory };
  let state = initialState;
  const events: DossierEvent[] = [];
  for (const command of [{ ...person.registration, dossierId: `d-${index}` }, ...person.commands]) {
    for (const event of decide(command, state, context)) {
      events.push(event);
      state = evolve(state, event);
    }
  }
  return { events, state };
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

    const registeredIn2022Spring = count((events) => {
      const on = events[0].type === 'DossierRegistered' ? events[0].data.registeredOn : '';
      return on >= '2022-03-01' && on < '2022-07-01';
    });
    const leftByMid2024 = count((events) => events.some((e) => e.type === 'PersonLeft' && e.data.on <= '2024-06-30'));
    const vdab = count(has('VdabRegistered'));
    const everEmployed = count(has('EmploymentStarted'));
    const stillWorking = people.filter((p) => p.state.status === 'active' && p.state.employment !== null).length;
    const firstHousingHostFamily = count((events) => events.find((e) => e.type === 'PersonHoused')?.data.housingType === 'host-family');

    expect(people.length).toBe(2000);
    expect(registeredIn2022Spring / people.length).toBeGreaterThan(0.4);
    expect(leftByMid2024 / people.length).toBeGreaterThan(0.08);
    expect(leftByMid2024 / people.length).toBeLessThan(0.3);
    expect(everEmployed / vdab).toBeGreaterThan(0.4);
    expect(everEmployed / vdab).toBeLessThan(0.65);
    expect(stillWorking / vdab).toBeGreaterThan(0.2);
    expect(stillWorking / vdab).toBeLessThan(0.45);
    expect(firstHousingHostFamily / people.length).toBeGreaterThan(0.35);
  });
});
