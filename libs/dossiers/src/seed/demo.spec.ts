import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideInTurn, defaultMunicipalityDirectory, occurredOn, type DossierEvent } from '@app/domain';
import { todayIn } from '@app/platform';
import { HistoryGenerator } from './history-generator';

const ROOT = join(__dirname, '../../../..');
const demoScript: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.demo;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** A default of the demo script, `${NAME:-value}`. */
const defaultOf = (name: string) => new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(demoScript)?.[1];

/**
 * `npm run demo` gives the same numbers on every day, and they are the README's: its histories run
 * up to a fixed day, not to the day it runs. The demo's data is recomputed here from the generator
 * and the domain's rules (what the seeder sends through the command path), and the README's
 * example answers are checked against it: a change to the generator shows up here, with the
 * numbers to put in the README.
 */
describe('npm run demo', () => {
  const today = defaultOf('DEMO_TODAY')!;
  const persons = Number(defaultOf('DEMO_PERSONS'));
  const seed = Number(/--seed (\d+)/.exec(demoScript)?.[1]);

  /** Every demo dossier's events, in business order, as the seeder records them. */
  const histories: DossierEvent[][] = [];
  beforeAll(() => {
    const generator = new HistoryGenerator(seed, today);
    const context = { today, municipalities: defaultMunicipalityDirectory };
    for (let index = 1; index <= persons; index++) {
      const person = generator.person(index)!;
      histories.push(decideInTurn([{ ...person.registration, dossierId: `demo-${index}` }, ...person.commands], context).events);
    }
  });

  /** Active on a day: registered by then, and not left (or reopened since). */
  const activeOn = (day: string) =>
    histories.filter((events) => {
      const upToDay = events.filter((event) => occurredOn(event) <= day);
      if (upToDay.length === 0) return false;
      const lastMove = upToDay.filter((event) => event.type === 'PersonLeft' || event.type === 'DossierReopened').at(-1);
      return lastMove?.type !== 'PersonLeft';
    }).length;
  /** Active under another residence status on a day: their latest move is a change of status (a departure ends it, a reopening brings temporary protection back). */
  const transitionedOn = (day: string) =>
    histories.filter((events) => {
      const upToDay = events.filter((event) => occurredOn(event) <= day);
      const last = upToDay.filter((event) => ['ResidenceStatusChanged', 'DossierReopened', 'PersonLeft'].includes(event.type)).at(-1);
      return last?.type === 'ResidenceStatusChanged';
    }).length;
  const transitionedShare = (day: string) => transitionedOn(day) / activeOn(day);
  const registeredBetween = (from: string, to: string) =>
    histories.filter((events) => occurredOn(events[0]) >= from && occurredOn(events[0]) <= to).length;

  it('seeds histories up to a fixed day, not the day it runs, with the seed and size the README gives', () => {
    expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(today <= todayIn('Europe/Brussels')).toBe(true);
    expect(demoScript).toContain('--today $DEMO_TODAY');
    expect(readme).toContain(`deterministic: seed ${seed}, histories up to ${today}`);
    expect(persons).toBe(2000);
    expect(histories.flat().map(occurredOn).sort().at(-1)).toBe(today);
  });

  it("gives the README's example answers", () => {
    const stockMid2024 = activeOn('2024-06-30');
    expect(readme).toContain(`"active": { "value": ${stockMid2024}, "suppressed": false }`);
    expect(readme).toContain(`2024-06-30,none,as-recorded,registration,,,active,,${stockMid2024},false`);
    expect(readme).toContain(`"registrations": { "value": ${registeredBetween('2022-01-01', '2022-03-31')}, "suppressed": false }`);
    expect(readme).toContain(`"lastBusinessDate": "${today}"`);
    expect(readme).toContain(
      `"endDate": "2026-03-04", "endDatePassed": true, "kind": "observed", "method": null,\n      "groups": [ { "group": null, "active": { "value": ${activeOn('2026-03-04')}, `,
    );
    expect(readme).toContain(`"transitioned": { "total": { "value": ${transitionedOn('2026-03-04')}, "suppressed": false }`);
  });

  it('moves people to other residence statuses rarely until 2025, more and more toward the end date', () => {
    const movesIn = (year: string) => histories.flat().filter((event) => event.type === 'ResidenceStatusChanged' && occurredOn(event).startsWith(year)).length;
    const [y2023, y2024, y2025, y2026] = ['2023', '2024', '2025', '2026'].map(movesIn);
    expect(y2023 + y2024).toBeLessThan(y2025);
    expect(y2025).toBeLessThan(y2026);
    // Well under a tenth of those active: most still depend on temporary protection when it ends.
    expect(transitionedShare('2026-11-30')).toBeLessThan(0.1);
    expect(transitionedShare('2026-11-30')).toBeGreaterThan(0.03);
  });

  it('has the published shape: a fifth of those registered by mid-2024 gone by then, as the README says', () => {
    const registered = registeredBetween('2022-01-01', '2024-06-30');
    const left = histories.filter((events) => events.some((event) => event.type === 'PersonLeft' && occurredOn(event) <= '2024-06-30')).length;
    expect(Math.round((left / registered) * 100)).toBe(20);
    expect(readme).toContain(`Of the ${registered.toLocaleString('en')} persons registered by\nthen, 20% had left`);
  });
});
