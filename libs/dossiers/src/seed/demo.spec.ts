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
  /**
   * VDAB's pair on a day, as docs/statistics.md defines it: the persons registered at VDAB by then
   * (gone or not), those of them with a job started by then, and those with a job on the day (the
   * latest of their job starts, job ends and departures is a start).
   */
  const vdabPairOn = (day: string) => {
    const upToDay = histories.map((events) =>
      events.filter((event) => occurredOn(event) <= day).sort((a, b) => (occurredOn(a) < occurredOn(b) ? -1 : occurredOn(a) > occurredOn(b) ? 1 : 0)),
    );
    const registered = upToDay.filter((events) => events.some((event) => event.type === 'VdabRegistered'));
    const ever = registered.filter((events) => events.some((event) => event.type === 'EmploymentStarted')).length;
    const jobs = ['EmploymentStarted', 'EmploymentEnded', 'PersonLeft'];
    const now = registered.filter((events) => events.filter((event) => jobs.includes(event.type)).at(-1)?.type === 'EmploymentStarted').length;
    return { registered: registered.length, ever, now };
  };
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
    const vdab = vdabPairOn('2024-12-31');
    const share = (part: number) => Math.round((part / vdab.registered) * 1000) / 1000;
    expect(readme).toContain(
      `"total": { "registeredAtVdab": { "value": ${vdab.registered}, "suppressed": false }, "everEmployed": { "value": ${vdab.ever}, "suppressed": false },\n` +
        `                 "employedNow": { "value": ${vdab.now}, "suppressed": false },\n` +
        `                 "everEmployedShare": { "value": ${share(vdab.ever)}, "suppressed": false }, "employedNowShare": { "value": ${share(vdab.now)}, "suppressed": false } }`,
    );
    expect(readme).toContain(`2024-12-31;false;all;none;as-recorded;registration;;;;registeredAtVdab;${vdab.registered};false`);
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
