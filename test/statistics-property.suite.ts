import fc from 'fast-check';
// Calendar arithmetic only; the statistics themselves are recomputed naively below, sharing nothing with the service.
import { addDays, addMonths } from '@app/domain';
// The rule a published table is checked against (docs/statistics.md, "Suppression") and the funnel's median of a list, stated once for the specs and this suite.
import { givenAway, medianOf, publishedCells, tableLines, type PublishedGroup, type PublishedLine } from '@app/testing';
import { COMMANDS, DossierApi, expectStatus } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Property: for random histories sent through the command path (some commands refused by the
 * rules, as in real life, and many facts recorded late), every statistic equals a naive
 * recomputation from the raw events read back with GET /dossiers/{id}/history.
 * Like the suite it runs after, it has an event store of its own.
 */

const MUNICIPALITIES: Record<string, string | null> = {
  '11002': '10000',
  '44021': '40000',
  '21004': null,
  '71022': '70000',
  '24062': '20001',
  '31005': '30000',
};
const NIS = Object.keys(MUNICIPALITIES);

/**
 * The 2025 mergers, restated for the naive side (from /work's fusies-2025): old code → new code
 * from 2025-01-01, and the province of every code the histories use. Zwijndrecht (Antwerpen)
 * becomes part of Beveren-Kruibeke-Zwijndrecht (Oost-Vlaanderen).
 */
const MERGED_INTO: Record<string, string> = {
  '71022': '71072',
  '73040': '71072',
  '11056': '46030',
  '46013': '46030',
  '37018': '37021',
  '37012': '37021',
  '11007': '11002',
};
const PROVINCE: Record<string, string | null> = {
  ...MUNICIPALITIES,
  '71072': '70000',
  '73040': '70000',
  '11056': '10000',
  '46013': '40000',
  '46030': '40000',
  '37018': '30000',
  '37012': '30000',
  '37021': '30000',
  '11007': '10000',
};
/** A place a history may name, by the codes it has before 2025 and from 2025 on. */
const PLACES: Record<string, { before: string[]; from2025: string }> = {
  hasselt: { before: ['71022', '73040'], from2025: '71072' },
  zwijndrecht: { before: ['11056', '46013'], from2025: '46030' },
  wingene: { before: ['37018', '37012'], from2025: '37021' },
  antwerpen: { before: ['11002', '11007'], from2025: '11002' },
  gent: { before: ['44021'], from2025: '44021' },
  brussel: { before: ['21004'], from2025: '21004' },
};
const MERGERS = '2025-01-01';
/** The code a recorded code stands for on the map of `map` (naively: the 2025 mergers only). */
const onMap = (map: string, nis: string) => (map !== 'as-recorded' && map >= MERGERS ? (MERGED_INTO[nis] ?? nis) : nis);
const HOUSING = ['host-family', 'collective', 'emergency-village', 'loi', 'social-rental', 'private-rental', 'other'];
const REHOUSING_REASONS = ['host-placement-ended', 'site-closed', 'emergency-village-closed', 'moved-municipality', 'other'];
const DEPARTURE_REASONS = ['returned-to-ukraine', 'moved-abroad', 'moved-within-belgium', 'other-residence-status', 'deceased', 'unknown'];
const STAGES = ['registered', 'housed', 'inburgering', 'vdab', 'employed'];
const OTHER_STATUSES = ['single-permit', 'student', 'family-reunification', 'international-protection-applied', 'international-protection-granted', 'other-national-status'];
const STATUSES = ['temporary-protection', ...OTHER_STATUSES];

const FROM = '2012-01-01';
const TO = '2017-12-31';

interface HistoryEvent {
  version: number;
  type: string;
  occurredOn: string;
  recordedAt: string;
  data: Record<string, any>;
}

/**
 * The histories as they stood at a recording moment: only the events recorded by then. The suite
 * takes each moment between two rounds of commands, so every event's store timestamp and the
 * recordedAt its history shows (stamped by the command just before the append) lie on the same
 * side of it.
 */
const recordedBy = (histories: HistoryEvent[][], moment: string) =>
  histories.map((events) => events.filter((e) => Date.parse(e.recordedAt) <= Date.parse(moment))).filter((events) => events.length > 0);

// ------------------------------------------------------------------ the naive recomputation

interface Naive {
  active: boolean;
  stage: string;
  housing: string | null;
  /** Where the person is housed; null while not housed. */
  housingMunicipality: string | null;
  municipality: string;
  employed: boolean;
  ever: boolean;
  /** Residence status: temporary protection until a change, again from a reopening; a departure keeps it. */
  status: string;
}

const businessOrder = (a: HistoryEvent, b: HistoryEvent) => (a.occurredOn === b.occurredOn ? a.version - b.version : a.occurredOn < b.occurredOn ? -1 : 1);

/** Folds one event into the dossier's situation, straight from the documented rules. */
function step(state: Naive | null, e: HistoryEvent): Naive | null {
  if (e.type === 'DossierRegistered') {
    return {
      active: true,
      stage: '',
      housing: null,
      housingMunicipality: null,
      municipality: e.data.municipality,
      employed: false,
      ever: false,
      vdab: false,
      inburgering: false,
      status: 'temporary-protection',
    } as Naive;
  }
  if (!state) return null;
  const s = { ...state } as Naive & { vdab: boolean; inburgering: boolean };
  switch (e.type) {
    case 'PersonHoused':
    case 'PersonRehoused':
      s.housing = e.data.housingType;
      s.housingMunicipality = e.data.municipality;
      break;
    case 'InburgeringEnrolled':
      s.inburgering = true;
      break;
    case 'VdabRegistered':
      s.vdab = true;
      break;
    case 'EmploymentStarted':
      s.employed = true;
      s.ever = true;
      break;
    case 'EmploymentEnded':
      s.employed = false;
      break;
    case 'PersonLeft':
      s.active = false;
      s.housing = null;
      s.housingMunicipality = null;
      s.employed = false;
      break;
    case 'DossierReopened':
      s.active = true;
      s.municipality = e.data.municipality;
      s.status = 'temporary-protection';
      break;
    case 'ResidenceStatusChanged':
      s.status = e.data.status;
      break;
  }
  return s;
}

function withStage(state: Naive): Naive {
  const s = state as Naive & { vdab: boolean; inburgering: boolean };
  const stage = !s.active ? 'left' : s.employed ? 'employed' : s.vdab ? 'vdab' : s.inburgering ? 'inburgering' : s.housing ? 'housed' : 'registered';
  return { ...s, stage };
}

function stateOn(events: HistoryEvent[], date: string): Naive | null {
  let state: Naive | null = null;
  for (const e of [...events].filter((x) => x.occurredOn <= date).sort(businessOrder)) state = step(state, e);
  return state ? withStage(state) : null;
}

/**
 * Where each event counts: the dossier's municipality once the events up to it (in business order)
 * are folded; by housing, where the person is housed then, or for an event that ends the housing
 * (a departure) where they were housed until then; and whether the person had a job just before it.
 */
function attributed(events: HistoryEvent[]): Array<HistoryEvent & { municipality: string; housingMunicipality: string | null; employedBefore: boolean }> {
  let state: Naive | null = null;
  return [...events].sort(businessOrder).map((e) => {
    const employedBefore = state?.employed ?? false;
    const housedBefore = state?.housingMunicipality ?? null;
    state = step(state, e);
    return { ...e, municipality: state!.municipality, housingMunicipality: state!.housingMunicipality ?? housedBefore, employedBefore };
  });
}

type By = 'registration' | 'housing';
/** The place key of the persons not housed, by housing: a place function passes it through (keeps it). */
const NOT_HOUSED = 'not housed';
/** Where a person or event counts: the registration municipality, or the housing municipality (NOT_HOUSED without one). */
const placeOf = (place: { municipality: string; housingMunicipality: string | null }, by: By) =>
  by === 'registration' ? place.municipality : (place.housingMunicipality ?? NOT_HOUSED);

type Counts = Record<string, number>;
/** The group a person counts in: from where they count (a NIS code), their events and the day the answer is about. */
type GroupOf = (nis: string, events: HistoryEvent[], date: string) => string;

/** The person's age band on a day, from the birth date of the registration as staff read it: years completed, a 29 February birthday on 1 March. */
function naiveAgeBand(events: HistoryEvent[], date: string): string {
  const birthDate = events.find((e) => e.type === 'DossierRegistered')?.data.personal?.birthDate;
  if (typeof birthDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) return 'unknown';
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = date.split('-').map(Number);
  const age = y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
  return age < 18 ? '0-17' : age < 25 ? '18-24' : age < 45 ? '25-44' : age < 65 ? '45-64' : '65+';
}

/** Groups by a place (a function of the NIS code), sex and age band, as the service's groups are keyed (groupKey). */
const groupedBy =
  (place: ((nis: string) => string) | null, sex: boolean, ageBand: boolean): GroupOf =>
  (nis, events, date) =>
    [
      ...(place ? [place(nis)] : []),
      ...(sex ? [events.find((e) => e.type === 'DossierRegistered')?.data.sex ?? 'unknown'] : []),
      ...(ageBand ? [naiveAgeBand(events, date)] : []),
    ].join('|') || 'all';
const bump = (counts: Counts, key: string, by = 1) => (counts[key] = (counts[key] ?? 0) + by);

function naiveStock(histories: HistoryEvent[][], asOf: string, groupOf: GroupOf, by: By = 'registration'): Record<string, Counts> {
  const groups: Record<string, Counts> = {};
  for (const events of histories) {
    const s = stateOn(events, asOf);
    if (!s || !s.active) continue;
    const g = (groups[groupOf(placeOf(s, by), events, asOf)] ??= {});
    bump(g, 'active');
    bump(g, `stage:${s.stage}`);
    bump(g, `housing:${s.housing ?? 'none'}`);
    bump(g, `status:${s.status}`);
    if (s.ever) bump(g, 'everEmployed');
    if (s.employed) bump(g, 'employedNow');
  }
  return groups;
}

const MEASURE: Record<string, string> = {
  DossierRegistered: 'registrations',
  PersonHoused: 'housings',
  PersonRehoused: 'rehousings',
  InburgeringEnrolled: 'inburgeringEnrolments',
  VdabRegistered: 'vdabRegistrations',
  EmploymentStarted: 'employmentStarts',
  EmploymentEnded: 'employmentEnds',
  PersonLeft: 'departures',
  DossierReopened: 'reopenings',
  ResidenceStatusChanged: 'transitions',
};

/** unit persons: each measure counts the persons (histories) with such an event in the period and group, once. The person as on the period's last day. */
function naiveFlows(
  histories: HistoryEvent[][],
  periods: Array<{ start: string; end: string }>,
  groupOf: GroupOf,
  unit: 'events' | 'persons' = 'events',
  by: By = 'registration',
) {
  return periods.map(({ start, end }) => {
    const groups: Record<string, Counts> = {};
    for (const events of histories) {
      const counted = new Set<string>();
      const count = (group: string, key: string) => {
        if (unit === 'persons' && counted.has(`${group}|${key}`)) return;
        counted.add(`${group}|${key}`);
        bump((groups[group] ??= {}), key);
      };
      let housedBefore = false;
      for (const e of attributed(events)) {
        // The second readings: the first housing of all (housings counts each stay's), and a job ended by a departure too.
        const firstHousingEver = e.type === 'PersonHoused' && !housedBefore;
        if (e.type === 'PersonHoused') housedBefore = true;
        if (e.occurredOn < start || e.occurredOn > end) continue;
        const g = groupOf(placeOf(e, by), events, end);
        count(g, MEASURE[e.type]);
        if (firstHousingEver) count(g, 'firstHousingsEver');
        if (e.type === 'EmploymentEnded' || (e.type === 'PersonLeft' && e.employedBefore)) count(g, 'employmentEndsIncludingDepartures');
        if (e.type === 'PersonRehoused' || e.type === 'PersonLeft') count(g, `${MEASURE[e.type]}:${e.data.reason}`);
        if (e.type === 'InburgeringEnrolled') count(g, `inburgeringEnrolments:${e.data.trajectory}`);
        if (e.type === 'ResidenceStatusChanged') count(g, `transitions:${e.data.status}`);
      }
    }
    for (const [key, counts] of Object.entries(naiveStock(histories, end, groupOf, by))) (groups[key] ??= {}).stockAtEnd = counts.active;
    return groups;
  });
}

const FUNNEL: Array<[step: string, type: string]> = [
  ['registered', 'DossierRegistered'],
  ['housed', 'PersonHoused'],
  ['inburgering', 'InburgeringEnrolled'],
  ['vdab', 'VdabRegistered'],
  ['employed', 'EmploymentStarted'],
];
const days = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

type Cohort = string | { from?: string; to?: string };

/** The persons of a cohort (one month, YYYY-MM, or a range of months with either end open) registered by asOf. */
function naiveFunnelMembers(histories: HistoryEvent[][], cohort: Cohort, asOf: string, status?: string): HistoryEvent[][] {
  const { from, to } = typeof cohort === 'string' ? { from: cohort, to: cohort } : cohort;
  const inCohort = (month: string) => (from === undefined || month >= from) && (to === undefined || month <= to);
  return histories.filter(
    (h) =>
      h.some((e) => e.type === 'DossierRegistered' && inCohort(e.occurredOn.slice(0, 7)) && e.occurredOn <= asOf) &&
      (status === undefined || stateOn(h, asOf)?.status === status),
  );
}

/**
 * The cohort (cut to those with a residence status on asOf, if given), step by
 * step: a step needs all earlier ones, reached on the latest of their first dates.
 */
function naiveFunnel(histories: HistoryEvent[][], cohort: Cohort, asOf: string, status?: string) {
  const members = naiveFunnelMembers(histories, cohort, asOf, status);
  return FUNNEL.map(([step, type], index) => {
    const waits: number[] = [];
    let count = 0;
    let atAll = 0;
    for (const events of members) {
      const firsts = FUNNEL.map(([, t]) => events.filter((e) => e.type === t && e.occurredOn <= asOf).map((e) => e.occurredOn).sort()[0]);
      if (firsts[index]) atAll++;
      if (firsts.slice(0, index + 1).some((d) => !d)) continue;
      count++;
      if (index > 0) {
        const reachedPrevious = firsts.slice(0, index).sort().at(-1)!;
        const reached = firsts.slice(0, index + 1).sort().at(-1)!;
        waits.push(days(reachedPrevious, reached));
      }
    }
    return { step, count, atAll, median: index === 0 ? null : medianOf(waits) };
  });
}

/**
 * VDAB's pair on a date: the persons whose VDAB registration is dated on or before it (with
 * population active, only those active on it), per group (of the municipality registered in on
 * the date, the person's sex and age band on it, and the year of the VDAB registration): all of
 * them, those who had a job by then, and those with a job on it.
 */
function naiveVdab(
  histories: HistoryEvent[][],
  on: string,
  groupOf: ((nis: string, cohort: string, events: HistoryEvent[], on: string) => string) | null,
  population: 'all' | 'active' = 'all',
  by: By = 'registration',
): Record<string, Counts> {
  const groups: Record<string, Counts> = {};
  for (const events of histories) {
    const registeredOn = events.filter((e) => e.type === 'VdabRegistered').map((e) => e.occurredOn).sort()[0];
    if (!registeredOn || registeredOn > on) continue;
    const s = stateOn(events, on)!;
    if (population === 'active' && !s.active) continue;
    for (const key of groupOf ? ['total', groupOf(placeOf(s, by), registeredOn.slice(0, 4), events, on)] : ['total']) {
      const g = (groups[key] ??= {});
      bump(g, 'registeredAtVdab');
      if (s.ever) bump(g, 'everEmployed');
      if (s.employed) bump(g, 'employedNow');
    }
  }
  for (const g of Object.values(groups)) {
    for (const measure of ['everEmployed', 'employedNow']) if (g[measure]) g[`${measure}Share`] = Math.round((g[measure] / g.registeredAtVdab) * 1000) / 1000;
  }
  return groups;
}

// ------------------------------------------------------------------ the service's answers, flattened

type CellValue = { value: number | null; suppressed: boolean };
/**
 * A group of an answer as the naive recomputation keys it: its place (none for Brussels by province, NOT_HOUSED for the
 * persons not housed), sex and age band, by `|`.
 */
const groupKey = (group: { nis?: string | null; name?: string; sex?: string; ageBand?: string } | null) =>
  group === null
    ? 'all'
    : [
        ...('nis' in group ? [group.nis ?? (group.name === 'Not housed' ? NOT_HOUSED : 'none')] : []),
        ...(group.sex ? [group.sex] : []),
        ...(group.ageBand ? [group.ageBand] : []),
      ].join('|');

function flattenStock(body: any): Record<string, Counts> {
  const groups: Record<string, Counts> = {};
  for (const g of body.groups) {
    const counts: Counts = {};
    const put = (key: string, c: CellValue) => {
      if (c.value) counts[key] = c.value;
    };
    put('active', g.active);
    for (const stage of STAGES) put(`stage:${stage}`, g.byStage[stage]);
    for (const [type, c] of Object.entries(g.byHousingType)) put(`housing:${type}`, c as CellValue);
    for (const [status, c] of Object.entries(g.byResidenceStatus ?? {})) put(`status:${status}`, c as CellValue);
    put('everEmployed', g.everEmployed);
    put('employedNow', g.employedNow);
    if (Object.keys(counts).length) groups[groupKey(g.group)] = counts;
  }
  return groups;
}

/**
 * The observed outlook on a date, naively: the stock without its employment counts (which the
 * outlook does not give), and the dossiers whose person has left, in the group they left from.
 */
function naiveOutlook(histories: HistoryEvent[][], date: string, groupOf: GroupOf, by: By = 'registration'): Record<string, Counts> {
  const groups: Record<string, Counts> = {};
  for (const [group, counts] of Object.entries(naiveStock(histories, date, groupOf, by))) {
    groups[group] = Object.fromEntries(Object.entries(counts).filter(([key]) => key !== 'everEmployed' && key !== 'employedNow'));
  }
  for (const events of histories) {
    const s = stateOn(events, date);
    if (!s) continue;
    const g = (groups[groupOf(placeOf(s, by), events, date)] ??= {});
    if (!s.active) {
      bump(g, 'left');
      continue;
    }
    const part = s.status === 'temporary-protection' ? 'underTemporaryProtection' : 'transitioned';
    bump(g, `${part}:stage:${s.stage}`);
    bump(g, `${part}:housing:${s.housing ?? 'none'}`);
  }
  return groups;
}

/** The outlook's groups in the stock's terms: temporary protection and the transitioned statuses side by side, and left. */
function flattenOutlook(groups: any[]): Record<string, Counts> {
  const asStock = groups.map((g) => ({
    ...g,
    byResidenceStatus: { 'temporary-protection': g.underTemporaryProtection, ...g.transitioned.byStatus },
    everEmployed: {},
    employedNow: {},
  }));
  const flat = flattenStock({ groups: asStock });
  for (const g of groups) {
    const counts = (flat[groupKey(g.group)] ??= {});
    if (g.left.value) counts.left = g.left.value;
    for (const part of ['underTemporaryProtection', 'transitioned']) {
      for (const [dimension, field] of [['stage', 'ByStage'], ['housing', 'ByHousingType']]) {
        for (const [category, c] of Object.entries(g[`${part}${field}`] as Record<string, CellValue>)) if (c.value) counts[`${part}:${dimension}:${category}`] = c.value;
      }
    }
    if (Object.keys(counts).length === 0) delete flat[groupKey(g.group)];
    // The transitioned total is what is active besides temporary protection.
    const transitioned = Object.values(g.transitioned.byStatus as Record<string, CellValue>).reduce((sum, c) => sum + (c.value ?? 0), 0);
    expect(g.transitioned.total.value).toBe(transitioned);
  }
  return flat;
}

/**
 * The cells of an outlook group's tables (docs/statistics.md, "Suppression") that are hidden and
 * given away (givenAway) by the lines of those tables, restated from the answer's fields (each a
 * total and its parts); `count` gives a cell's true count by its path. None is allowed.
 */
export function outlookGivenAway(g: any, count: (path: string) => number): string[] {
  const cells = publishedCells(g, count, { name: groupKey(g.group) });
  const at = (path: string) => cells.get(path)!;
  const within = (field: string) => Object.keys(field.split('.').reduce((body, key) => body[key], g)).map((key) => at(`${field}.${key}`));
  const [active, protectedOnes, transitioned] = [at('active'), at('underTemporaryProtection'), at('transitioned.total')];
  const lines: PublishedLine[] = [
    { total: active, parts: [protectedOnes, transitioned] },
    { total: active, parts: [protectedOnes, ...within('transitioned.byStatus')] },
    { total: transitioned, parts: within('transitioned.byStatus') },
  ];
  for (const field of ['Stage', 'HousingType']) {
    const [all, tp, tr] = [within(`by${field}`), within(`underTemporaryProtectionBy${field}`), within(`transitionedBy${field}`)];
    lines.push({ total: active, parts: all }, { total: protectedOnes, parts: tp }, { total: transitioned, parts: tr });
    all.forEach((total, i) => lines.push({ total, parts: [tp[i], tr[i]] }));
  }
  return givenAway(lines).map(({ name }) => name!);
}

/** An outlook group's cell (by path) as naiveOutlook keys it; the transitioned total, which naiveOutlook leaves out, as `transitioned`. */
function outlookKey(path: string): string {
  if (path === 'transitioned.total') return 'transitioned';
  return path === 'underTemporaryProtection'
    ? 'status:temporary-protection'
    : path
        .replace(/^transitioned\.byStatus\./, 'status:')
        .replace(/^(underTemporaryProtection|transitioned)By(Stage|HousingType)\./, (_, part: string, field: string) => `${part}:${field === 'Stage' ? 'stage' : 'housing'}:`)
        .replace(/^byStage\./, 'stage:')
        .replace(/^byHousingType\./, 'housing:');
}

/** An outlook group's cell (by path) from naiveOutlook's counts; the transitioned total is what is active besides temporary protection. */
function outlookCount(counts: Counts, path: string): number {
  if (path === 'transitioned.total') return (counts.active ?? 0) - (counts['status:temporary-protection'] ?? 0);
  return counts[outlookKey(path)] ?? 0;
}

/** VDAB's groups keyed as flattenVdab keys them: place (or empty), sex and age band when grouped by them, cohort (or empty). */
const vdabGroupedBy =
  (place: ((nis: string) => string) | null, sex: boolean, ageBand: boolean, cohort: boolean) =>
  (nis: string, year: string, events: HistoryEvent[], on: string) =>
    [place ? place(nis) : '', ...(sex || ageBand ? [groupedBy(null, sex, ageBand)(nis, events, on)] : []), cohort ? year : ''].join('|');

/** A stock group's cell (by path: `byStage.housed`) as naiveStock keys it (`stage:housed`). */
const stockKey = (path: string) => path.replace(/^byStage\./, 'stage:').replace(/^byHousingType\./, 'housing:').replace(/^byResidenceStatus\./, 'status:');

/** The groups of a published stock, each cell with its count from the naive recomputation (`counts`, by groupKey); `margin`: another answer's. */
function stockGroups(body: any, counts: Record<string, Counts>, margin = false): Array<PublishedGroup<any>> {
  return body.groups.map((g: any) => ({
    group: g.group,
    cells: publishedCells(g, (path) => counts[groupKey(g.group)]?.[stockKey(path)] ?? 0, { margin, name: groupKey(g.group) }),
  }));
}

/** Every cell of 1 or 2 persons (the threshold 3 the suppression test sets) hidden, every shown cell right. */
function expectSmallHidden(groups: Array<PublishedGroup<any>>): void {
  for (const { name, n, c } of groups.flatMap(({ cells }) => [...cells.values()])) {
    if (n > 0 && n < 3) expect([name, c.suppressed]).toEqual([name, true]);
    if (!c.suppressed) expect([name, c.value]).toEqual([name, n]);
  }
}

/** A stock group's own lines: the active dossiers split by stage, by housing type, by residence status. */
const stockLines = (g: any) => ['byStage', 'byHousingType', 'byResidenceStatus'].map((field) => ({ total: 'active', parts: Object.keys(g[field]).map((key) => `${field}.${key}`) }));

/** A number as the revisions show it: its value (null: no number), or 'suppressed'. */
type Shown = number | null | 'suppressed';
const shown = (c: CellValue): Shown => (c.suppressed ? 'suppressed' : c.value);

/** An outlook cell's path in its group (as outlookCount takes it) from a revision's series and category. */
const outlookPath = (series: string, category: string | null) =>
  category === null ? (series === 'transitioned' ? 'transitioned.total' : series) : series === 'transitioned' ? `transitioned.byStatus.${category}` : `${series}.${category}`;

/** What a revision's cell counts, named as the question's naive recomputation names it (naiveStock, naiveFlows, naiveFunnel's steps, naiveOutlook). */
const MEASURE_OF: Record<string, (cell: { series: string; category: string | null; step?: string }) => string> = {
  stock: (cell) => stockKey(cell.category === null ? cell.series : `${cell.series}.${cell.category}`),
  flows: (cell) => (cell.category === null ? cell.series : `${cell.series}:${cell.category}`),
  funnel: (cell) => `${cell.step}:${cell.series}`,
  outlook: (cell) => outlookKey(outlookPath(cell.series, cell.category)),
};

/** The revisions keyed as naiveRevisions keys them (the cell's date|group|measure), as shown, and the answer's own late events. */
function flattenRevisions(body: any): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const { cell, before, after, change, lateEvents } of body.changes) {
    // The date a cell is of: the stock's and the funnel's asOf, a flows period's last day, an outlook end date.
    const date = cell.asOf ?? cell.end ?? cell.endDate;
    flat[`${date}|${groupKey(cell.group)}|${MEASURE_OF[body.question](cell)}`] = { before: shown(before), after: shown(after), change, lateEvents: shown(lateEvents) };
  }
  flat.lateEvents = shown(body.lateEvents);
  return flat;
}

/**
 * A question's numbers, as the naive recomputation answers it from some histories or as an answer
 * shows them (shownAnswer): each cell (keyed date|group|measure) with its value (null: no number),
 * the date it is of and its group; and the dates the answer has numbers of (none when it has no cell).
 */
interface NaiveAnswer {
  cells: Record<string, { value: Shown; date: string; group: string }>;
  dates: string[];
}

/** Cells of groups (group → measure → value), all of one date. */
function datedCells(date: string, groups: Record<string, Record<string, number | null>>): NaiveAnswer {
  const cells: NaiveAnswer['cells'] = {};
  for (const [group, values] of Object.entries(groups)) for (const [measure, value] of Object.entries(values)) cells[`${date}|${group}|${measure}`] = { value, date, group };
  return { cells, dates: Object.keys(groups).length > 0 ? [date] : [] };
}

/**
 * How an answer is grouped, naively: the group a person counts in (from where they count, their
 * events and the date) and which of their places they count in.
 */
interface Grouped {
  groupOf: GroupOf;
  by: By;
}

/** A province on a map (as recorded: the recorded code's); the persons not housed stay a group of their own. */
const provinceOnMap = (map: string) => (nis: string) => (nis === NOT_HOUSED ? nis : (PROVINCE[onMap(map, nis)] ?? 'none'));

/** A groupBy as the service takes it (`province,sex`), on a map and by a place, restated for the naive side. */
function naiveGrouping(groupBy: string, map = 'as-recorded', by: By = 'registration'): Grouped {
  const names = groupBy === 'none' ? [] : groupBy.split(',');
  const place = names.includes('province') ? provinceOnMap(map) : names.includes('municipality') ? (nis: string) => onMap(map, nis) : null;
  return { groupOf: groupedBy(place, names.includes('sex'), names.includes('ageBand')), by };
}

/** The stock on asOf. */
const stockAnswer =
  (asOf: string, { groupOf, by }: Grouped) =>
  (histories: HistoryEvent[][]) =>
    datedCells(asOf, naiveStock(histories, asOf, groupOf, by));

/** The flows of some periods (where each event counts); every period lists the groups of any (docs/statistics.md). */
const flowsAnswer =
  (periods: Array<{ start: string; end: string }>, { groupOf, by }: Grouped, unit: 'events' | 'persons') =>
  (histories: HistoryEvent[][]): NaiveAnswer => {
    const answers = naiveFlows(histories, periods, groupOf, unit, by).map((groups, i) => datedCells(periods[i].end, groups));
    const anyGroup = answers.some(({ dates }) => dates.length > 0);
    return { cells: Object.assign({}, ...answers.map(({ cells }) => cells)), dates: anyGroup ? periods.map(({ end }) => end) : [] };
  };

/** A count over another, three decimals; no number when dividing by zero. */
const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/**
 * The group of a member of a funnel's cohort on asOf: by registration, the place of its
 * DossierRegistered (a reopening elsewhere does not move it); by housing, where the person is
 * housed on asOf; sex, and the age band on asOf.
 */
const funnelGroup =
  ({ groupOf, by }: Grouped) =>
  (events: HistoryEvent[], asOf: string) =>
    groupOf(by === 'registration' ? registeredMunicipality(events) : placeOf(stateOn(events, asOf)!, by), events, asOf);

/**
 * The funnel of a cohort on asOf (cut to the persons with a residence status on asOf, if given):
 * the whole cohort (group 'all') and each group (`groupOf` a member) with anyone in it; per step
 * its count, reachedAtAll, rates and median wait (the first step has no wait).
 */
const funnelAnswer =
  (cohort: Cohort, asOf: string, groupOf: (events: HistoryEvent[], asOf: string) => string, status?: string) =>
  (histories: HistoryEvent[][]): NaiveAnswer => {
    const members = naiveFunnelMembers(histories, cohort, asOf, status);
    const groups: Record<string, Record<string, number | null>> = {};
    for (const group of new Set(['all', ...members.map((h) => groupOf(h, asOf))])) {
      const steps = naiveFunnel(members.filter((h) => group === 'all' || groupOf(h, asOf) === group), cohort, asOf, status);
      groups[group] = {};
      steps.forEach(({ step, count, atAll, median }, index) => {
        Object.assign(groups[group], {
          [`${step}:count`]: count,
          [`${step}:reachedAtAll`]: atAll,
          [`${step}:rateFromPrevious`]: rate(count, steps[Math.max(0, index - 1)].count),
          [`${step}:rateFromRegistered`]: rate(count, steps[0].count),
          ...(index > 0 ? { [`${step}:medianDaysFromPrevious`]: median } : {}),
        });
      });
    }
    return datedCells(asOf, groups);
  };

/** An outlook's groups as datedCells takes them, with the transitioned total (outlookKey names it). */
function outlookCells(endDate: string, groups: Record<string, Counts>): NaiveAnswer {
  for (const counts of Object.values(groups)) counts[outlookKey('transitioned.total')] = outlookCount(counts, 'transitioned.total');
  return datedCells(endDate, groups);
}

/** The observed outlook on an end date. */
const outlookAnswer =
  (endDate: string, { groupOf, by }: Grouped) =>
  (histories: HistoryEvent[][]) =>
    outlookCells(endDate, naiveOutlook(histories, endDate, groupOf, by));

/** Monthly rates of a projection, and the shares of the moves out of temporary protection over the other statuses. */
interface Rates {
  arrivals: number;
  departures: number;
  transitions: number;
  shares: Record<string, number>;
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * The rates observed in the six calendar months up to the last business date (docs/statistics.md,
 * GET /statistics/outlook), restated: the events of each kind after the same day six months
 * before, up to the last, divided by 6, over the mean stock at the six month ends (the active
 * ones; for transitions, those under temporary protection), at most 1, four decimals; the moves
 * out of temporary protection split by status in those months, failing any of every such move up
 * to the last business date, failing any evenly, four decimals.
 */
function trailingRates(histories: HistoryEvent[][], last: string): Rates {
  const events = histories.flat();
  const after = addMonths(last, -6);
  const inWindow = (e: HistoryEvent) => e.occurredOn > after && e.occurredOn <= last;
  const monthEnds = [0, 1, 2, 3, 4, 5].map((i) => addMonths(last, -i));
  const states = monthEnds.flatMap((day) => histories.map((h) => stateOn(h, day)).filter((state) => state?.active));
  const [active, protectedOnes] = [states.length / 6, states.filter((state) => state!.status === 'temporary-protection').length / 6];
  const rate = (n: number, stock: number) => round4(stock > 0 ? Math.min(1, n / 6 / stock) : 0);
  const moves = events.filter((e) => e.type === 'ResidenceStatusChanged' && e.data.previousStatus === 'temporary-protection' && e.occurredOn <= last);
  const sharesOf = (of: HistoryEvent[]) => Object.fromEntries(OTHER_STATUSES.map((status) => [status, round4(of.filter((e) => e.data.status === status).length / of.length)]));
  const windowMoves = moves.filter(inWindow);
  return {
    arrivals: rate(events.filter((e) => e.type === 'DossierRegistered' && inWindow(e)).length, active),
    departures: rate(events.filter((e) => e.type === 'PersonLeft' && inWindow(e)).length, active),
    transitions: rate(windowMoves.length, protectedOnes),
    shares: windowMoves.length > 0 ? sharesOf(windowMoves) : moves.length > 0 ? sharesOf(moves) : Object.fromEntries(OTHER_STATUSES.map((status) => [status, round4(1 / 6)])),
  };
}

/**
 * The projected outlook at an end date with rates (given, or the trailing ones: trailingRates),
 * restated from docs/statistics.md, GET /statistics/outlook: from each group's situation on the
 * last business date recorded (groups as then, each person in the age band they will have on the
 * end date), month by month (days / (365.25 / 12) months, a last part of a month at that part of
 * each rate), arrivals (the rate times the active ones) join temporary protection, departures
 * (the rate of each status) are counted in left, and transitions take their rate of those under
 * temporary protection who did not leave, split by the shares;
 * those under temporary protection keep the split by stage and housing type they had (failing
 * any, the group's active ones'), the transitioned theirs; every number rounded on its own, the
 * transitioned total what is active besides temporary protection. With every rate 0: the
 * situation on the last business date itself.
 */
const projectedOutlookAnswer =
  (endDate: string, { groupOf, by }: Grouped, given: Omit<Rates, 'shares'> | 'trailing' = { arrivals: 0, departures: 0, transitions: 0 }) =>
  (histories: HistoryEvent[][]): NaiveAnswer => {
    const last = histories.flat().map((e) => e.occurredOn).sort().at(-1);
    if (!last) return { cells: {}, dates: [] };
    const trailing = trailingRates(histories, last);
    const rates = given === 'trailing' ? trailing : { ...given, shares: trailing.shares };
    const base = naiveOutlook(histories, last, (nis, events) => groupOf(nis, events, endDate), by);
    const months = days(last, endDate) / (365.25 / 12);
    const groups: Record<string, Counts> = {};
    for (const [group, counts] of Object.entries(base)) {
      let underTp = counts['status:temporary-protection'] ?? 0;
      const transitioned = Object.fromEntries(OTHER_STATUSES.map((status) => [status, counts[`status:${status}`] ?? 0]));
      let left = counts.left ?? 0;
      const parts = [...Array.from({ length: Math.floor(months) }, () => 1), months - Math.floor(months)].filter((part) => part > 0);
      for (const part of parts) {
        const active = underTp + Object.values(transitioned).reduce((sum, n) => sum + n, 0);
        const leaving = rates.departures * part;
        const moving = rates.transitions * part * (1 - leaving) * underTp;
        underTp = underTp + rates.arrivals * part * active - leaving * underTp - moving;
        for (const status of OTHER_STATUSES) transitioned[status] = transitioned[status] + moving * (rates.shares[status] ?? 0) - leaving * transitioned[status];
        left = left + leaving * active;
      }
      const allTransitioned = Object.values(transitioned).reduce((sum, n) => sum + n, 0);
      const g: Counts = {};
      g.active = Math.round(underTp + allTransitioned);
      g['status:temporary-protection'] = Math.round(underTp);
      g[outlookKey('transitioned.total')] = g.active - g['status:temporary-protection'];
      for (const status of OTHER_STATUSES) g[`status:${status}`] = Math.round(transitioned[status]);
      g.left = Math.round(left);
      for (const [dimension, names] of [['stage', STAGES], ['housing', [...HOUSING, 'none']]] as const) {
        const all = names.map((name) => counts[`${dimension}:${name}`] ?? 0);
        const protectedOnes = names.map((name) => counts[`underTemporaryProtection:${dimension}:${name}`] ?? 0);
        // A total split as a split is, or as the group's active ones are when it counts nobody.
        const splitLike = (total: number, split: number[]) => {
          const from = split.some((n) => n > 0) ? split : all;
          const sum = from.reduce((a, b) => a + b, 0);
          return from.map((n) => (sum > 0 ? (n * total) / sum : 0));
        };
        const protectedNow = splitLike(underTp, protectedOnes);
        const transitionedNow = splitLike(allTransitioned, all.map((n, i) => n - protectedOnes[i]));
        names.forEach((name, i) => {
          const now = protectedNow[i] + transitionedNow[i];
          g[`${dimension}:${name}`] = Math.round(now);
          g[`underTemporaryProtection:${dimension}:${name}`] = Math.round(protectedNow[i]);
          g[`transitioned:${dimension}:${name}`] = Math.round(now - protectedNow[i]);
        });
      }
      groups[group] = g;
    }
    return datedCells(endDate, groups);
  };

/** The municipality a dossier was registered in (its DossierRegistered's). */
const registeredMunicipality = (events: HistoryEvent[]) => events.find((e) => e.type === 'DossierRegistered')!.data.municipality as string;

/** The groups a dossier is in on a date, from the events known of it then; none before its registration. */
type GroupsOn = (known: HistoryEvent[], date: string) => string[];
/** The stock's, the flows' and the outlook's: the group of the person's place (as the answer reads it) on the date, sex and age band on it. */
const groupOn =
  ({ groupOf, by }: Grouped): GroupsOn =>
  (known, date) => {
    const s = stateOn(known, date);
    return s ? [groupOf(placeOf(s, by), known, date)] : [];
  };
/** The funnel's: the whole cohort (every dossier registered by the date) and the member's group (funnelGroup). */
const funnelGroupOn =
  (groupOf: (events: HistoryEvent[], asOf: string) => string): GroupsOn =>
  (known, date) =>
    stateOn(known, date) ? ['all', groupOf(known, date)] : [];

type Interval = 'month' | 'quarter' | 'year';

/** The calendar months, quarters or years meeting [from, to], each clipped to it: restated for the naive side. */
function naivePeriods(from: string, to: string, interval: Interval): Array<{ start: string; end: string }> {
  const months = { month: 1, quarter: 3, year: 12 }[interval];
  const periods: Array<{ start: string; end: string }> = [];
  for (let start = from; start <= to; ) {
    const [year, month] = start.split('-').map(Number);
    // The month after the period: the first of its months (counted from 0) plus its length.
    const after = year * 12 + (month - 1) - ((month - 1) % months) + months;
    const next = `${Math.floor(after / 12)}-${String((after % 12) + 1).padStart(2, '0')}-01`;
    periods.push({ start, end: addDays(next, -1) < to ? addDays(next, -1) : to });
    start = next;
  }
  return periods;
}

/** What a question is asked with, beside its date. */
interface Options {
  /** As the service takes it: `none`, `province,sex`, … */
  groupBy: string;
  map?: string;
  by?: By;
  /** The funnel's cohort: one month (YYYY-MM), a range of months with either end open; default every cohort. */
  cohort?: Cohort;
  /** The funnel's cut. */
  residenceStatus?: string;
  /** The flows' range; default FROM to TO by year. */
  flows?: { from: string; to: string; interval: Interval };
  units?: Array<'events' | 'persons'>;
  /** The outlook of asOf (an end date that has passed: observed), or of asOf and PROJECTED_END with every rate 0, with RATES, or with the trailing rates. */
  outlook?: 'observed' | 'projected' | 'rates' | 'trailing';
}

/** An end date that has not passed (a projection), a year or more ahead of any run, and its rates, all 0 (projectedOutlookAnswer). */
const PROJECTED_END = addDays(new Date().toISOString().slice(0, 10), 400);
const PROJECTED = `endDate=${PROJECTED_END}&arrivalRate=0&departureRate=0&transitionRate=0`;
/** Given rates other than 0, as the outlook takes them. */
const RATES = { arrivals: 0.013, departures: 0.021, transitions: 0.034 };
const WITH_RATES = `endDate=${PROJECTED_END}&arrivalRate=${RATES.arrivals}&departureRate=${RATES.departures}&transitionRate=${RATES.transitions}`;

/** A funnel's cohort as its parameters, each followed by `&` (none for every cohort). */
const cohortParameters = (cohort: Cohort | undefined) =>
  typeof cohort === 'string'
    ? `cohort=${cohort}&`
    : `${cohort?.from ? `cohortFrom=${cohort.from}&` : ''}${cohort?.to ? `cohortTo=${cohort.to}&` : ''}`;

/** Two answers in one (two end dates of the outlook). */
const both =
  (a: (histories: HistoryEvent[][]) => NaiveAnswer, b: (histories: HistoryEvent[][]) => NaiveAnswer) =>
  (histories: HistoryEvent[][]): NaiveAnswer => {
    const [x, y] = [a(histories), b(histories)];
    return { cells: { ...x.cells, ...y.cells }, dates: [...x.dates, ...y.dates] };
  };

/** A question asked: its operation's parameters, its naive answer, and the groups a dossier is in (for the late events behind a revised cell). */
interface Question {
  question: 'stock' | 'flows' | 'funnel' | 'outlook';
  parameters: string;
  answerOf: (histories: HistoryEvent[][]) => NaiveAnswer;
  groupsOn: GroupsOn;
}

/** The stock, the flows (in each unit), the funnel and the outlook, with the same options, each with its naive answer. */
function questionsOf(asOf: string, options: Options): Question[] {
  const { groupBy, map = 'as-recorded', by = 'registration', cohort, residenceStatus: status } = options;
  const grouped = naiveGrouping(groupBy, map, by);
  const on = `&groupBy=${groupBy}${map === 'as-recorded' ? '' : `&map=${map}`}${by === 'registration' ? '' : `&by=${by}`}`;
  const { from, to, interval } = options.flows ?? { from: FROM, to: TO, interval: 'year' };
  const outlook = options.outlook ?? 'observed';
  const funnelOf = funnelGroup(grouped);
  return [
    { question: 'stock', parameters: `asOf=${asOf}${on}`, answerOf: stockAnswer(asOf, grouped), groupsOn: groupOn(grouped) },
    ...(options.units ?? ['events']).map(
      (unit): Question => ({
        question: 'flows',
        parameters: `from=${from}&to=${to}&interval=${interval}${on}${unit === 'events' ? '' : '&unit=persons'}`,
        answerOf: flowsAnswer(naivePeriods(from, to, interval), grouped, unit),
        groupsOn: groupOn(grouped),
      }),
    ),
    {
      question: 'funnel',
      parameters: `${cohortParameters(cohort)}asOf=${asOf}${status ? `&residenceStatus=${status}` : ''}${on}`,
      answerOf: funnelAnswer(cohort ?? {}, asOf, funnelOf, status),
      groupsOn: funnelGroupOn(funnelOf),
    },
    {
      question: 'outlook',
      parameters: `endDate=${asOf}${{ observed: '', projected: `&${PROJECTED}`, rates: `&${WITH_RATES}`, trailing: `&endDate=${PROJECTED_END}` }[outlook]}${on}`,
      answerOf:
        outlook === 'observed'
          ? outlookAnswer(asOf, grouped)
          : both(outlookAnswer(asOf, grouped), projectedOutlookAnswer(PROJECTED_END, grouped, outlook === 'rates' ? RATES : outlook === 'trailing' ? 'trailing' : undefined)),
      groupsOn: groupOn(grouped),
    },
  ];
}

/**
 * The questions whose revisions are checked in every round, per province (events and persons).
 * The funnel is of the cohorts from `cohort` on, or of every cohort.
 */
const revisedQuestions = (asOf: string, cohort?: string) => questionsOf(asOf, { groupBy: 'province', cohort: cohort ? { from: cohort } : undefined, units: ['events', 'persons'] });

/** GET /statistics/revisions of a question between two moments: its own parameters, but a flows range as periodFrom and periodTo. */
const revisionsPath = (question: string, parameters: string, from: string, to: string) =>
  `/statistics/revisions?question=${question}&${question === 'flows' ? parameters.replace(/^from=/, 'periodFrom=').replace('&to=', '&periodTo=') : parameters}&from=${from}&to=${to}`;

/** Series that are no count: a cell missing from an answer has no number there, where a count's is 0. */
const notACount = (measure: string) => /:(rateFromPrevious|rateFromRegistered|medianDaysFromPrevious)$/.test(measure);
const missing = (key: string) => (notACount(key) ? null : 0);

/**
 * The numbers of an answer of a question as it shows them, keyed as flattenRevisions keys them: a
 * part of the answer (a group, a funnel step) has a number, a breakdown `{ total, byX: { category } }`
 * or `{ category }`; a funnel's first step has no wait (null).
 */
function shownAnswer(question: string, body: any): NaiveAnswer {
  const parts: Array<[date: string, group: any, part: any, step?: string]> =
    question === 'stock'
      ? body.groups.map((g: any) => [body.asOf, g.group, g])
      : question === 'flows'
        ? body.periods.flatMap((period: any) => period.groups.map((g: any) => [period.end, g.group, g]))
        : question === 'outlook'
          ? body.scenarios.flatMap((scenario: any) => scenario.groups.map((g: any) => [scenario.endDate, g.group, g]))
          : [{ group: null, steps: body.steps }, ...body.groups].flatMap(({ group, steps }: any) => steps.map((step: any) => [body.asOf, group, step, step.step]));
  const cells: NaiveAnswer['cells'] = {};
  for (const [date, group, part, step] of parts) {
    const put = (series: string, category: string | null, c: CellValue) =>
      (cells[`${date}|${groupKey(group)}|${MEASURE_OF[question]({ series, category, step })}`] = { value: shown(c), date, group: groupKey(group) });
    for (const [series, value] of Object.entries(part as Record<string, any>)) {
      if (series === 'group' || series === 'step' || value === null) continue;
      if ('suppressed' in value) put(series, null, value);
      else {
        for (const [key, c] of Object.entries(value as Record<string, any>)) {
          if (key === 'total') put(series, null, c);
          else if ('suppressed' in c) put(series, key, c);
          else for (const [category, part] of Object.entries(c as Record<string, CellValue>)) put(series, category, part);
        }
      }
    }
  }
  return { cells, dates: [...new Set(Object.values(cells).map(({ date }) => date))] };
}

/**
 * An answer as shown equals the naive one: every number it shows (a cell it lacks: 0, or no number
 * for a rate or a median), and no number the naive one has is missing from it.
 */
function expectShown(label: string, shown: NaiveAnswer, naive: NaiveAnswer): void {
  for (const [key, { value }] of Object.entries(shown.cells)) if (value !== 'suppressed') expect([label, key, value]).toEqual([label, key, naive.cells[key]?.value ?? missing(key)]);
  for (const [key, { value }] of Object.entries(naive.cells)) {
    const c = shown.cells[key]?.value ?? missing(key);
    if (c !== 'suppressed') expect([label, key, c]).toEqual([label, key, value]);
  }
}

/**
 * The revisions of a question between `from` and `to`, naively (docs/statistics.md, "Revisions"):
 * every cell whose value differs as answered at each moment (`answerAt`: folded from the events
 * recorded by then, or as an answer shows it; a cell one answer lacks: 0, no number for a rate or
 * median; two hidden cells alike), its change (none with a side hidden), and the events recorded
 * in between (but archiving and erasure) dated on or before the cell's date, of the dossiers in
 * the cell's group on that date as recorded at either moment (left ones too); for the whole
 * answer, of every dossier registered by the last date it has numbers of. Late events are hidden
 * when they are of 1 to suppressBelow-1 dossiers.
 */
function naiveRevisions(
  histories: HistoryEvent[][],
  from: string,
  to: string,
  answerAt: (moment: string) => NaiveAnswer,
  groupsOn: GroupsOn,
  suppressBelow = 0,
): Record<string, unknown> {
  const [before, after] = [from, to].map(answerAt);
  const recordedBetween = (e: HistoryEvent) => Date.parse(e.recordedAt) > Date.parse(from) && Date.parse(e.recordedAt) <= Date.parse(to);
  // Worked out once per date and group: a group's cells share them.
  const known = new Map<string, Shown>();
  const lateIn = (date: string, group: string) => known.get(`${date}|${group}`) ?? known.set(`${date}|${group}`, late(date, (groups) => groups.includes(group))).get(`${date}|${group}`)!;
  const late = (date: string, inGroup: (groups: string[]) => boolean): Shown => {
    const behind = histories
      .filter((events) => inGroup([from, to].flatMap((moment) => groupsOn(recordedBy([events], moment)[0] ?? [], date))))
      .map((events) => events.filter((e) => recordedBetween(e) && e.occurredOn <= date && !['DossierArchived', 'PersonalDataErased'].includes(e.type)).length);
    const persons = behind.filter((n) => n > 0).length;
    return persons > 0 && persons < suppressBelow ? 'suppressed' : behind.reduce((sum, n) => sum + n, 0);
  };
  const changes: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before.cells), ...Object.keys(after.cells)])) {
    const { date, group } = after.cells[key] ?? before.cells[key];
    const [was, is] = [before.cells[key]?.value ?? missing(key), after.cells[key]?.value ?? missing(key)];
    if (was === is) continue;
    const change = typeof was !== 'number' || typeof is !== 'number' ? null : Math.round((is - was) * 1e6) / 1e6;
    changes[key] = { before: was, after: is, change, lateEvents: lateIn(date, group) };
  }
  const lastDate = [...before.dates, ...after.dates].sort().at(-1);
  return { ...changes, lateEvents: lastDate ? late(lastDate, (groups) => groups.length > 0) : 0 };
}

/** A point of VDAB's pair: the total and each group (place|sex|ageBand|cohort, sex and age band only when grouped by them), shown non-zero numbers only. */
function flattenVdab(point: any): Record<string, Counts> {
  const flat: Record<string, Counts> = {};
  const keyOf = (group: any) =>
    [group.nis === undefined ? '' : (group.nis ?? (group.name === 'Not housed' ? NOT_HOUSED : 'none')), ...(group.sex ? [group.sex] : []), ...(group.ageBand ? [group.ageBand] : []), group.cohort ?? ''].join('|');
  const rows = [['total', point.total], ...point.groups.map((g: any) => [keyOf(g.group), g])];
  for (const [key, pair] of rows) {
    const counts: Counts = {};
    for (const measure of ['registeredAtVdab', 'everEmployed', 'employedNow', 'everEmployedShare', 'employedNowShare']) if (pair[measure].value) counts[measure] = pair[measure].value;
    if (Object.keys(counts).length) flat[key] = counts;
  }
  return flat;
}

function flattenFlows(body: any): Array<Record<string, Counts>> {
  return body.periods.map((period: any) => {
    const groups: Record<string, Counts> = {};
    for (const g of period.groups) {
      const counts: Counts = {};
      for (const [measure, value] of Object.entries(g)) {
        if (measure === 'group') continue;
        const v = value as any;
        if ('suppressed' in v) {
          if (v.value) counts[measure] = v.value;
          continue;
        }
        if (v.total.value) counts[measure] = v.total.value;
        for (const breakdown of ['byReason', 'byTrajectory', 'byStatus']) {
          for (const [category, c] of Object.entries(v[breakdown] ?? {})) if ((c as CellValue).value) counts[`${measure}:${category}`] = (c as CellValue).value!;
        }
      }
      if (Object.keys(counts).length) groups[groupKey(g.group)] = counts;
    }
    return groups;
  });
}

// ------------------------------------------------------------------ the histories

const stepArbitrary = fc.record({
  command: fc.constantFrom(...COMMANDS),
  // Offsets from the registration, in any order: many facts arrive late, some are refused.
  dayOffset: fc.integer({ min: 0, max: 600 }),
  housingType: fc.constantFrom(...HOUSING),
  municipality: fc.constantFrom(...NIS),
  rehousingReason: fc.constantFrom(...REHOUSING_REASONS),
  departureReason: fc.constantFrom(...DEPARTURE_REASONS),
  trajectory: fc.constantFrom('voortraject', 'inburgeringstraject'),
  status: fc.constantFrom(...OTHER_STATUSES),
  // Most reopenings say nothing (back under temporary protection); some name a status.
  reopenedWith: fc.constantFrom(undefined, undefined, ...STATUSES),
});

const dossierArbitrary = fc.record({
  municipality: fc.constantFrom(...NIS),
  // Sex as the domain has it, or not recorded.
  sex: fc.constantFrom('female', 'male', 'x', null),
  // Birth dates a few days around a year end on which the person turns 18, 25, 45 or 65 (the dates asked about include year ends), and 29 February.
  birthDate: fc.oneof(
    fc
      .record({ turns: fc.constantFrom(18, 25, 45, 65), year: fc.integer({ min: 2012, max: 2017 }), offset: fc.integer({ min: -2, max: 2 }) })
      .map(({ turns, year, offset }) => addDays(`${year - turns}-12-31`, offset)),
    fc.constantFrom('1996-02-29', '1952-02-29', '1980-07-01'),
  ),
  registeredDay: fc.integer({ min: 0, max: 1400 }),
  steps: fc.array(stepArbitrary, { maxLength: 10 }),
});

/**
 * Values drawn for a round, dealt from a shuffled deck per option (a new deck once one is dealt out): every
 * value comes up once in each whole deck, so a property whose rounds ask at least as often as an option has
 * values asks every one of them, while the options still vary independently from round to round. Which
 * card a round takes is fast-check's draw (`picks`), so the suite's seed replays the deal. The decks are the
 * inventory (docs/statistics.md, "Tests"); each value a round takes is tallied, and `undealt` says which values
 * never came up: a change that silently stops drawing one (fewer rounds that ask, an option drawn some other
 * way or fixed) fails the property.
 */
class OptionDealer<T extends Record<string, readonly unknown[]>> {
  private readonly decks = new Map<keyof T, unknown[]>();
  private readonly dealt = new Map<keyof T, Set<unknown>>();

  constructor(private readonly values: T) {}

  /** Which card of each option's deck a round takes: fast-check's draws, one per option. */
  get picks(): fc.Arbitrary<number[]> {
    const options = Object.keys(this.values).length;
    return fc.array(fc.nat(), { minLength: options, maxLength: options });
  }

  deal(picks: number[]): { [K in keyof T]: T[K][number] } {
    const round: Partial<Record<keyof T, unknown>> = {};
    for (const [i, option] of (Object.keys(this.values) as Array<keyof T>).entries()) {
      let deck = this.decks.get(option);
      if (deck === undefined || deck.length === 0) this.decks.set(option, (deck = [...this.values[option]]));
      const [value] = deck.splice(picks[i] % deck.length, 1);
      round[option] = value;
      this.dealt.set(option, (this.dealt.get(option) ?? new Set()).add(value));
    }
    return round as { [K in keyof T]: T[K][number] };
  }

  /** Per option, the values no round was dealt (as text: `undefined` for an option left out). */
  undealt(): Record<string, string[]> {
    return Object.fromEntries(
      Object.entries(this.values)
        .map(([option, values]) => [option, values.filter((value) => !this.dealt.get(option)?.has(value)).map(String)] as const)
        .filter(([, missing]) => missing.length > 0),
    );
  }
}

/**
 * The options a round of the random histories asks its drawn questions with (questionsOf), now, as recorded at an
 * earlier moment and their revisions since, dealt per round (OptionDealer) rather than every combination in every round.
 * Every value is dealt within RANDOM_HISTORY_ROUNDS - 1 rounds (the first has no earlier moment and asks none).
 */
const ROUND_OPTIONS = {
  groupBy: ['none', 'province', 'municipality', 'sex', 'ageBand', 'province,sex', 'municipality,ageBand', 'province,sex,ageBand'],
  interval: ['month', 'quarter', 'year'] as Interval[],
  // The flows' range: the two calendar years up to asOf's, or some 200 days from asOf (its first and last periods clipped).
  clipped: [false, true],
  unit: ['events', 'persons'] as Array<'events' | 'persons'>,
  residenceStatus: [undefined, 'temporary-protection', 'single-permit', 'student'],
  // The funnel's cohort, from the round's month: that month, from it, up to it, from it for some months, or every cohort.
  cohort: ['month', 'from', 'to', 'range', 'every'],
  outlook: ['observed', 'projected', 'rates', 'trailing'] as Array<'observed' | 'projected' | 'rates' | 'trailing'>,
  // VDAB's pair over the same range: by the grouping drawn, with its cohort or not, of everyone or of those still here.
  vdabCohort: [false, true],
  population: ['all', 'active'] as Array<'all' | 'active'>,
} as const;

/** The residence status every round of the random histories cuts the funnel by. */
const FUNNEL_CUT = { funnelStatus: ['temporary-protection', 'single-permit', 'student'] } as const;

/** The map property's: the map and the place every round asks on, and the options of its rounds after the first (as recorded and revised). */
const MAP_ROUND_PLACES = { map: ['as-recorded', '2024-06-30', '2025-01-01', '2026-06-30'], by: ['registration', 'housing'] as By[] } as const;
const MAP_ROUND_OPTIONS = {
  groupBy: ['municipality', 'province', 'province,sex'],
  residenceStatus: [undefined, 'temporary-protection', 'single-permit'],
  outlook: ['observed', 'projected', 'rates', 'trailing'] as Array<'observed' | 'projected' | 'rates' | 'trailing'>,
  interval: ['month', 'quarter', 'year'] as Interval[],
} as const;

/** A cohort of a shape (ROUND_OPTIONS.cohort's) around a month. */
function cohortOf(shape: string, month: string): Cohort | undefined {
  const later = addDays(`${month}-01`, 200).slice(0, 7);
  return shape === 'month' ? month : shape === 'from' ? { from: month } : shape === 'to' ? { to: month } : shape === 'range' ? { from: month, to: later } : undefined;
}

/** Facts about dossiers recorded in an earlier round, arriving after that round's figures were published. */
const lateFactsArbitrary = fc.array(fc.record({ dossier: fc.nat(), step: stepArbitrary }), { maxLength: 4 });

type DossierInput = typeof dossierArbitrary extends fc.Arbitrary<infer T> ? T : never;
type StepInput = typeof stepArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Histories around the 2025 mergers: a municipality is a place and a variant, its code the one valid on each date (PLACES). */
const MERGER_FROM = '2023-06-01';
const placeArbitrary = fc.tuple(fc.constantFrom(...Object.keys(PLACES)), fc.integer({ min: 0, max: 1 })).map(([place, variant]) => `${place}:${variant}`);
const mergerDossierArbitrary: fc.Arbitrary<DossierInput> = dossierArbitrary.chain((dossier) =>
  fc
    .record({ registeredDay: fc.integer({ min: 0, max: 900 }), municipality: placeArbitrary, places: fc.array(placeArbitrary, { minLength: 10, maxLength: 10 }), offsets: fc.array(fc.integer({ min: 0, max: 365 }), { minLength: 10, maxLength: 10 }) })
    .map(({ registeredDay, municipality, places, offsets }) => ({
      ...dossier,
      registeredDay,
      municipality,
      steps: dossier.steps.map((step, i) => ({ ...step, municipality: places[i], dayOffset: offsets[i] })),
    })),
);
function codeOnDate(municipality: string, on: string): string {
  const [place, variant] = municipality.split(':');
  const { before, from2025 } = PLACES[place];
  return on >= MERGERS ? from2025 : before[Number(variant) % before.length];
}

/** Every group of an answer has a name of its own. */
function namesAreUnique(groups: Array<{ group: { nis: string | null; name: string } | null }>): void {
  const names = new Set(groups.map(({ group }) => group?.name));
  expect(names.size).toBe(new Set(groups.map(({ group }) => groupKey(group))).size);
}

/** Called from statistics.e2e.spec.ts, after its own suite. */
/**
 * The seed of every property in the suite: STATISTICS_PROPERTY_SEED, or a new one per run. Later
 * tests check the dossiers the earlier properties generated, so a failure is replayed only with
 * the whole suite's seed, which the suite's name carries.
 */
function propertySeed(): number {
  const given = process.env.STATISTICS_PROPERTY_SEED;
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 31);
  if (!/^\d+$/.test(given)) throw new Error(`STATISTICS_PROPERTY_SEED must be a whole number, got "${given}"`);
  return Number(given);
}

/**
 * What a round of a property (one generated case: its commands, the wait for the projections,
 * every question asked of it) may take on average: twice the slowest measured, 14.7 s a round of
 * the random histories (15 rounds took 160 to 220 s at a load of 16 on two cores; 1.3 to 1.5 s a
 * round at a load of 4, where a round on the map took 0.6 s), and half as much again for the
 * options drawn per round (questionsOf: the answer now, as recorded and its revisions; 15 rounds
 * took 17.6 s without them and 35 to 65 s with them at a load of 6 to 8, the drawn flows by month
 * and grouped by the person most of it). A property's timeout is its rounds' (roundsTimeout), so
 * that more rounds move it instead of eating the margin; a check added to every round that makes
 * rounds slower should raise ROUND_MS with its measure.
 */
const ROUND_MS = 45_000;
const roundsTimeout = (numRuns: number) => numRuns * ROUND_MS;
const RANDOM_HISTORY_ROUNDS = 15;
const MAP_ROUNDS = 10;

export function describeStatisticsProperty(): void {
  const seed = propertySeed();
  describe(`Statistics equal a naive recomputation from the raw events (${eventStoreUnderTest()} store, STATISTICS_PROPERTY_SEED=${seed})`, () => {
    let eventStore: SuiteEventStore | undefined;
    let testApp: TestApp;
    let staff: DossierApi;
    let analyst: string;
    const dossierIds: string[] = [];
    const registeredOnOf = new Map<string, string>();
    /** Moments between rounds, each with the answers given then, to be asked again as recorded at that moment. */
    const published: Array<{ moment: string; answers: Record<string, unknown> }> = [];
    /** How many times the figures as recorded at an earlier moment differed from those now: late facts revised them. */
    let revised = 0;
    /** How many cells the revisions between an earlier moment and now listed as changed, per question. */
    const revisedCells = { stock: 0, flows: 0, funnel: 0, outlook: 0 };

    beforeAll(async () => {
      fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
      eventStore = await eventStoreOfItsOwn();
      testApp = await startTestApp(eventStore.env);
      staff = new DossierApi(testApp, await testApp.token('staff'));
      analyst = await testApp.token('analyst');
      const admin = await testApp.token('admin');
      expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 0 }), 200);
      // One fixed history besides the random ones, so departures, reopenings and late facts are always in play.
      const fixed = await staff.registered({ municipality: '44021', registeredOn: '2013-02-01', protection: { grantedOn: '2013-02-01' } });
      dossierIds.push(fixed);
      registeredOnOf.set(fixed, '2013-02-01');
      await staff.recorded(fixed, 'housed', { housingType: 'collective', municipality: '44021', on: '2013-03-01' });
      await staff.recorded(fixed, 'left', { on: '2013-09-01', reason: 'moved-within-belgium' });
      await staff.recorded(fixed, 'reopened', { on: '2014-01-10', municipality: '11002' });
      // Housed again in the new stay: a housing of the stay, not a first housing ever.
      await staff.recorded(fixed, 'housed', { housingType: 'loi', municipality: '11002', on: '2014-02-01' });
      await staff.recorded(fixed, 'vdab-registered', { on: '2013-05-05' });
      await staff.recorded(fixed, 'employment-started', { on: '2014-01-10' });
      await staff.recorded(fixed, 'status-changed', { on: '2014-06-01', status: 'single-permit' });
      await staff.recorded(fixed, 'status-changed', { on: '2015-01-10', status: 'international-protection-applied' });
      // A person who leaves with a job: the job ends by the departure in one reading, not in the other.
      const leftWorking = await staff.registered({ municipality: '31005', registeredOn: '2014-03-01', protection: { grantedOn: '2014-03-01' } });
      dossierIds.push(leftWorking);
      registeredOnOf.set(leftWorking, '2014-03-01');
      await staff.recorded(leftWorking, 'vdab-registered', { on: '2014-04-01' });
      await staff.recorded(leftWorking, 'employment-started', { on: '2014-05-01' });
      await staff.recorded(leftWorking, 'left', { on: '2014-08-01', reason: 'moved-abroad' });
    });

    afterAll(async () => {
      await testApp?.close();
      await eventStore?.stop();
    });

    const get = async (path: string) => {
      const response = await testApp.http().get(path).set('Authorization', `Bearer ${analyst}`);
      expectStatus(response, 200);
      return response.body;
    };

    /** `codeOn` gives the code a history's municipality has on a date (itself, but for a place across the mergers). */
    async function record(dossier: DossierInput, from = FROM, codeOn = (municipality: string, _on: string) => municipality): Promise<void> {
      const registeredOn = addDays(from, dossier.registeredDay);
      const id = await staff.registered({
        municipality: codeOn(dossier.municipality, registeredOn),
        registeredOn,
        protection: { grantedOn: registeredOn },
        person: { birthDate: dossier.birthDate, sex: dossier.sex ?? undefined },
      });
      dossierIds.push(id);
      registeredOnOf.set(id, registeredOn);
      for (const s of dossier.steps) await recordStep(id, s, codeOn);
    }

    async function recordStep(id: string, s: StepInput, codeOn = (municipality: string, _on: string) => municipality): Promise<void> {
      const on = addDays(registeredOnOf.get(id)!, s.dayOffset);
      const municipality = codeOn(s.municipality, on);
      const body =
        s.command === 'housed'
          ? { housingType: s.housingType, municipality, on }
          : s.command === 'rehoused'
            ? { housingType: s.housingType, municipality, on, reason: s.rehousingReason }
            : s.command === 'inburgering-enrolled'
              ? { trajectory: s.trajectory, on }
              : s.command === 'left'
                ? { on, reason: s.departureReason }
                : s.command === 'reopened'
                  ? { on, municipality, ...(s.reopenedWith ? { residenceStatus: s.reopenedWith } : {}) }
                  : s.command === 'status-changed'
                    ? { on, status: s.status }
                    : { on };
      const response = await staff.command(id, s.command, body);
      // Refused by a rule is part of the game; anything else is not.
      if (response.status !== 409) expectStatus(response, 201);
    }

    const histories = async () =>
      Promise.all(
        dossierIds.map(async (id) => {
          const response = await staff.history(id);
          expectStatus(response, 200);
          return response.body.events as HistoryEvent[];
        }),
      );

    it('stock (overall, per province, and over time per municipality; by stage, housing and residence status), flows (overall and per province; transitions by status; both readings), the funnel (whole and cut by residence status), the outlook of passed end dates and VDAB\'s pair (per province and cohort, per municipality, of those still here, over time), each but VDAB\'s pair also by sex and age band, as recorded at an earlier round\'s moment, and the revisions since then (stock, flows, funnel, outlook); and with options drawn per round (every grouping, interval, range and unit, the funnel\'s cohorts and cut, the outlook projected) now, as recorded and revised, for random histories', async () => {
      const funnelCuts = new OptionDealer(FUNNEL_CUT);
      const drawnOptions = new OptionDealer(ROUND_OPTIONS);
      await fc.assert(
        fc.asyncProperty(
          fc.array(dossierArbitrary, { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 0, max: 2190 }),
          funnelCuts.picks,
          lateFactsArbitrary,
          fc.nat(),
          drawnOptions.picks,
          async (dossiers, asOfDay, cutPicks, lateFacts, earlier, optionPicks) => {
            const { funnelStatus } = funnelCuts.deal(cutPicks);
            for (const late of lateFacts) await recordStep(dossierIds[late.dossier % dossierIds.length], late.step);
            // After the first round's moment, whatever is generated: a dossier registered in one province that moves to another,
            // so its group on a date (the stock's, the flows', the outlook's) and the province it registered in (the funnel's) differ.
            if (published.length === 1) {
              const moved = await staff.registered({ municipality: '44021', registeredOn: '2013-03-01', protection: { grantedOn: '2013-03-01' } });
              dossierIds.push(moved);
              registeredOnOf.set(moved, '2013-03-01');
              await staff.recorded(moved, 'left', { on: '2013-06-01', reason: 'moved-within-belgium' });
              await staff.recorded(moved, 'reopened', { on: '2013-07-01', municipality: '11002' });
            }
            for (const dossier of dossiers) await record(dossier);
            await waitForProjections(testApp);
            const raw = await histories();
            const asOf = addDays(FROM, asOfDay);
            const all = () => 'all';
            const province = (nis: string) => MUNICIPALITIES[nis] ?? 'none';
  
            expect(flattenStock(await get(`/statistics/stock?asOf=${asOf}`))).toEqual(naiveStock(raw, asOf, all));
            // Every date here has passed: the outlook answers with what is recorded for it, projected or not.
            const outlook = await get(`/statistics/outlook?endDate=${asOf}`);
            expect(outlook.scenarios[0]).toMatchObject({ endDate: asOf, endDatePassed: true, kind: 'observed' });
            expect(flattenOutlook(outlook.scenarios[0].groups)).toEqual(naiveOutlook(raw, asOf, all));
            const outlookByProvince = await get(`/statistics/outlook?endDate=${asOf}&groupBy=province`);
            expect(flattenOutlook(outlookByProvince.scenarios[0].groups)).toEqual(naiveOutlook(raw, asOf, province));
            expect(flattenStock(await get(`/statistics/stock?asOf=${asOf}&groupBy=province`))).toEqual(naiveStock(raw, asOf, province));
  
            // The dashboard's drill-down: the stock over time of each municipality of registration.
            const overTime = await get(`/statistics/stock-over-time?from=${FROM}&to=${TO}&interval=year&groupBy=municipality`);
            expect(overTime.points.map((point: { asOf: string }) => point.asOf)).toEqual(['2012', '2013', '2014', '2015', '2016', '2017'].map((year) => `${year}-12-31`));
            for (const point of overTime.points) expect(flattenStock(point)).toEqual(naiveStock(raw, point.asOf, (nis) => nis));
  
            const quarterly = await get(`/statistics/flows?from=${FROM}&to=${TO}&interval=quarter`);
            expect(flattenFlows(quarterly)).toEqual(naiveFlows(raw, quarterly.periods, all));
            // The second reading of a job's end closes the employed stock: at a quarter's end, those at the one before, plus starts, minus those ends.
            const quarterEnds = await get(`/statistics/stock-over-time?from=${FROM}&to=${TO}&interval=quarter`);
            let employed = 0;
            quarterly.periods.forEach((period: any, index: number) => {
              employed += period.groups[0].employmentStarts.value - period.groups[0].employmentEndsIncludingDepartures.value;
              expect([period.end, employed]).toEqual([quarterEnds.points[index].asOf, quarterEnds.points[index].groups[0].employedNow.value]);
            });
            const yearly = await get(`/statistics/flows?from=${FROM}&to=${TO}&interval=year&groupBy=province`);
            expect(flattenFlows(yearly)).toEqual(naiveFlows(raw, yearly.periods, province));
            const yearlyPersons = await get(`/statistics/flows?from=${FROM}&to=${TO}&interval=year&groupBy=province&unit=persons`);
            expect(flattenFlows(yearlyPersons)).toEqual(naiveFlows(raw, yearlyPersons.periods, province, 'persons'));
            // Whole periods from stat_flow_counts, the clipped first and last from their own days' rows.
            const clipped = await get(`/statistics/flows?from=${asOf}&to=${addDays(asOf, 200)}&interval=quarter&groupBy=municipality&unit=persons`);
            expect(flattenFlows(clipped)).toEqual(naiveFlows(raw, clipped.periods, (nis) => nis, 'persons'));
  
            const cohort = addDays(FROM, dossiers[0].registeredDay).slice(0, 7);
            const funnel = await get(`/statistics/funnel?cohort=${cohort}&asOf=${asOf}`);
            expect(
              funnel.steps.map((s: any) => ({ step: s.step, count: s.count.value, atAll: s.reachedAtAll.value, median: s.medianDaysFromPrevious?.value ?? null })),
            ).toEqual(naiveFunnel(raw, cohort, asOf));
            // The funnel cut by the residence status on asOf.
            const cut = await get(`/statistics/funnel?cohort=${cohort}&asOf=${asOf}&residenceStatus=${funnelStatus}`);
            expect(cut.residenceStatus).toBe(funnelStatus);
            expect(
              cut.steps.map((s: any) => ({ step: s.step, count: s.count.value, atAll: s.reachedAtAll.value, median: s.medianDaysFromPrevious?.value ?? null })),
            ).toEqual(naiveFunnel(raw, cohort, asOf, funnelStatus));
            // Cohorts from that month on, per province of registration, and every cohort.
            const steps = (answer: any) =>
              answer.steps.map((s: any) => ({ step: s.step, count: s.count.value, atAll: s.reachedAtAll.value, median: s.medianDaysFromPrevious?.value ?? null }));
            const ranged = await get(`/statistics/funnel?cohortFrom=${cohort}&asOf=${asOf}&groupBy=province`);
            expect(steps(ranged)).toEqual(naiveFunnel(raw, { from: cohort }, asOf));
            const registeredIn = (h: HistoryEvent[]) => province(registeredMunicipality(h));
            const provinces = [...new Set(naiveFunnelMembers(raw, { from: cohort }, asOf).map(registeredIn))].sort();
            expect(ranged.groups.map((g: any) => g.group.nis ?? 'none').sort()).toEqual(provinces);
            for (const group of ranged.groups) {
              expect(steps(group)).toEqual(naiveFunnel(raw.filter((h) => registeredIn(h) === (group.group.nis ?? 'none')), { from: cohort }, asOf));
            }
            expect(steps(await get(`/statistics/funnel?asOf=${asOf}`))).toEqual(naiveFunnel(raw, {}, asOf));

            // VDAB's pair: on the date, per province and cohort, per municipality, of those still here, and at every year end.
            const vdab = (path: string) => get(`/statistics/vdab?${path}`);
            expect(flattenVdab((await vdab(`on=${asOf}`)).points[0])).toEqual(naiveVdab(raw, asOf, null));
            const byProvinceAndCohort = await vdab(`on=${asOf}&groupBy=province,cohort`);
            expect(flattenVdab(byProvinceAndCohort.points[0])).toEqual(naiveVdab(raw, asOf, (nis, year) => `${province(nis)}|${year}`));
            expect(flattenVdab((await vdab(`on=${asOf}&groupBy=municipality&population=active`)).points[0])).toEqual(
              naiveVdab(raw, asOf, (nis) => `${nis}|`, 'active'),
            );
            const vdabOverTime = await vdab(`from=${FROM}&to=${TO}&interval=year&groupBy=cohort`);
            expect(vdabOverTime.points.map((point: { on: string }) => point.on)).toEqual(['2012', '2013', '2014', '2015', '2016', '2017'].map((year) => `${year}-12-31`));
            for (const point of vdabOverTime.points) expect(flattenVdab(point)).toEqual(naiveVdab(raw, point.on, (_, year) => `|${year}`));
            // …by sex and age band on the pair's date, alone, with a place, with the cohort, and all four; of those still here too.
            for (const [groupBy, groupOf, population] of [
              ['sex', vdabGroupedBy(null, true, false, false), 'all'],
              ['ageBand,cohort', vdabGroupedBy(null, false, true, true), 'all'],
              ['province,sex', vdabGroupedBy(province, true, false, false), 'all'],
              ['municipality,ageBand', vdabGroupedBy((nis) => nis, false, true, false), 'active'],
              ['province,sex,ageBand,cohort', vdabGroupedBy(province, true, true, true), 'all'],
            ] as const) {
              expect(flattenVdab((await vdab(`on=${asOf}&groupBy=${groupBy}&population=${population}`)).points[0])).toEqual(naiveVdab(raw, asOf, groupOf, population));
            }
            const vdabBandsOverTime = await vdab(`from=${FROM}&to=${TO}&interval=year&groupBy=cohort,ageBand`);
            expect(vdabBandsOverTime.groupBy).toBe('ageBand,cohort');
            for (const point of vdabBandsOverTime.points) expect(flattenVdab(point)).toEqual(naiveVdab(raw, point.on, vdabGroupedBy(null, false, true, true)));

            // By sex and age band, alone and with a place: age on the answer's date (each point, each period's last day, the end date, asOf).
            const bySex = groupedBy(null, true, false);
            const byBand = groupedBy(null, false, true);
            for (const [groupBy, groupOf] of [
              ['sex', bySex],
              ['ageBand', byBand],
              ['province,sex', groupedBy(province, true, false)],
              ['municipality,ageBand', groupedBy((nis) => nis, false, true)],
              ['province,sex,ageBand', groupedBy(province, true, true)],
            ] as const) {
              expect(flattenStock(await get(`/statistics/stock?asOf=${asOf}&groupBy=${groupBy}`))).toEqual(naiveStock(raw, asOf, groupOf));
            }
            const bandsOverTime = await get(`/statistics/stock-over-time?from=${FROM}&to=${TO}&interval=year&groupBy=ageBand`);
            for (const point of bandsOverTime.points) expect(flattenStock(point)).toEqual(naiveStock(raw, point.asOf, byBand));
            const flowsByBand = await get(`/statistics/flows?from=${FROM}&to=${TO}&interval=quarter&groupBy=ageBand`);
            expect(flattenFlows(flowsByBand)).toEqual(naiveFlows(raw, flowsByBand.periods, byBand));
            const personsBySex = await get(`/statistics/flows?from=${FROM}&to=${TO}&interval=year&groupBy=province,sex&unit=persons`);
            expect(flattenFlows(personsBySex)).toEqual(naiveFlows(raw, personsBySex.periods, groupedBy(province, true, false), 'persons'));
            const outlookByBand = await get(`/statistics/outlook?endDate=${asOf}&groupBy=province,ageBand`);
            expect(flattenOutlook(outlookByBand.scenarios[0].groups)).toEqual(naiveOutlook(raw, asOf, groupedBy(province, false, true)));
            const who = groupedBy(null, true, true);
            const funnelByPerson = await get(`/statistics/funnel?cohortFrom=${cohort}&asOf=${asOf}&groupBy=sex,ageBand`);
            const members = naiveFunnelMembers(raw, { from: cohort }, asOf);
            expect(funnelByPerson.groups.map((g: any) => groupKey(g.group)).sort()).toEqual([...new Set(members.map((h) => who('', h, asOf)))].sort());
            for (const group of funnelByPerson.groups) {
              expect(steps(group)).toEqual(naiveFunnel(raw.filter((h) => who('', h, asOf) === groupKey(group.group)), { from: cohort }, asOf));
            }
            // As recorded at a moment between two earlier rounds: the events recorded by then, folded
            // naively, and, to the byte, the answers given at that moment (but for the moment echoed).
            if (published.length > 0) {
              const { moment, answers } = published[earlier % published.length];
              const then = recordedBy(raw, moment);
              const asRecorded = async (path: string) => {
                const answer = await get(`${path}&recordedAsOf=${moment}`);
                expect(answer.recordedAsOf).toBe(moment);
                if (answers[path]) expect(JSON.stringify({ ...answer, recordedAsOf: null })).toBe(JSON.stringify(answers[path]));
                return answer;
              };
              expect(flattenStock(await asRecorded(`/statistics/stock?asOf=${asOf}&groupBy=province`))).toEqual(naiveStock(then, asOf, province));
              const flowsThen = await asRecorded(`/statistics/flows?from=${FROM}&to=${TO}&interval=year&groupBy=province`);
              expect(flattenFlows(flowsThen)).toEqual(naiveFlows(then, flowsThen.periods, province));
              if (JSON.stringify(naiveFlows(then, flowsThen.periods, province)) !== JSON.stringify(naiveFlows(raw, flowsThen.periods, province))) revised++;
              const lastThen = then.flat().map((e) => e.occurredOn).sort().at(-1) ?? null;
              expect(flowsThen.lastBusinessDate).toBe(lastThen);
              expect(flowsThen.periods.map((p: { incomplete: boolean; end: string }) => p.incomplete)).toEqual(
                flowsThen.periods.map((p: { end: string }) => lastThen === null || p.end > lastThen),
              );
              expect(steps(await asRecorded(`/statistics/funnel?cohortFrom=${cohort}&asOf=${asOf}`))).toEqual(naiveFunnel(then, { from: cohort }, asOf));
              const outlookThen = await asRecorded(`/statistics/outlook?endDate=${asOf}&groupBy=province`);
              expect(flattenOutlook(outlookThen.scenarios[0].groups)).toEqual(naiveOutlook(then, asOf, province));
              expect(flattenVdab((await asRecorded(`/statistics/vdab?on=${asOf}&groupBy=province,cohort`)).points[0])).toEqual(
                naiveVdab(then, asOf, (nis, year) => `${province(nis)}|${year}`),
              );
              const overTimeThen = await asRecorded(`/statistics/stock-over-time?from=${FROM}&to=${TO}&interval=year&groupBy=municipality`);
              for (const point of overTimeThen.points) expect(flattenStock(point)).toEqual(naiveStock(then, point.asOf, (nis) => nis));

              // The revisions per province from that moment to now, of the stock, the flows (in events and in persons), the
              // funnel and the outlook: each changed cell, its change and the late events behind it, against the naive
              // answers from the events recorded by each moment and the events recorded in between.
              await new Promise((resolve) => setTimeout(resolve, 3));
              const now = new Date().toISOString();
              // Every cohort at the end too, which has the dossier that moved: its late events are behind the cells of the province it registered in.
              const questions = [...revisedQuestions(asOf, cohort), ...revisedQuestions(TO).filter(({ question }) => question === 'funnel')];
              for (const { question, parameters, answerOf, groupsOn } of questions) {
                const revisions = await get(revisionsPath(question, parameters, moment, now));
                expect([question, parameters, flattenRevisions(revisions)]).toEqual([
                  question,
                  parameters,
                  naiveRevisions(raw, moment, now, (at) => answerOf(recordedBy(raw, at)), groupsOn),
                ]);
                revisedCells[question as keyof typeof revisedCells] += revisions.changes.length;
              }
              // The same with the options drawn for this round (a grouping by the person, months or quarters, a clipped range,
              // the funnel cut by a residence status, the outlook projected): the answer now, as recorded then, and the revisions.
              const options = drawnOptions.deal(optionPicks);
              const year = Number(asOf.slice(0, 4));
              const range = options.clipped ? { from: asOf, to: addDays(asOf, 200) } : { from: `${year - 1}-01-01`, to: `${year}-12-31` };
              const drawn = questionsOf(asOf, { ...options, cohort: cohortOf(options.cohort, cohort), flows: { ...range, interval: options.interval }, units: [options.unit] });
              for (const { question, parameters, answerOf, groupsOn } of drawn) {
                const label = `${question}?${parameters}`;
                const body = await get(`/statistics/${label}`);
                expectShown(label, shownAnswer(question, body), answerOf(raw));
                if (question === 'outlook' && options.outlook === 'trailing') {
                  // The scenario's stated inputs: the trailing rates and the shares they project with.
                  const { arrivals, departures, transitions, shares } = trailingRates(raw, body.lastBusinessDate);
                  const { scenario } = body;
                  expect([scenario.arrivals.monthly, scenario.departures.monthly, scenario.transitions.monthly, scenario.transitionShares.shares]).toEqual([arrivals, departures, transitions, shares]);
                }
                expectShown(`${label} as recorded at ${moment}`, shownAnswer(question, await get(`/statistics/${label}&recordedAsOf=${moment}`)), answerOf(then));
                const revisions = await get(revisionsPath(question, parameters, moment, now));
                expect([label, flattenRevisions(revisions)]).toEqual([label, naiveRevisions(raw, moment, now, (at) => answerOf(recordedBy(raw, at)), groupsOn)]);
              }
              // The stock over time and VDAB's pair over that range, by the interval and grouping drawn, now and as recorded then.
              const ends = naivePeriods(range.from, range.to, options.interval).map(({ end }) => end);
              const { groupOf } = naiveGrouping(options.groupBy);
              const vdabGroupBy = options.vdabCohort ? (options.groupBy === 'none' ? 'cohort' : `${options.groupBy},cohort`) : options.groupBy;
              const names = vdabGroupBy.split(',');
              const vdabPlace = names.includes('province') ? provinceOnMap('as-recorded') : names.includes('municipality') ? (nis: string) => nis : null;
              const vdabGroupOf = vdabGroupBy === 'none' ? null : vdabGroupedBy(vdabPlace, names.includes('sex'), names.includes('ageBand'), names.includes('cohort'));
              for (const [recordedAsOf, histories] of [['', raw], [`&recordedAsOf=${moment}`, then]] as const) {
                const overTime = await get(`/statistics/stock-over-time?from=${range.from}&to=${range.to}&interval=${options.interval}&groupBy=${options.groupBy}${recordedAsOf}`);
                expect(overTime.points.map((point: { asOf: string }) => point.asOf)).toEqual(ends);
                for (const point of overTime.points) expect([point.asOf, flattenStock(point)]).toEqual([point.asOf, naiveStock(histories, point.asOf, groupOf)]);
                const pairs = await get(`/statistics/vdab?from=${range.from}&to=${range.to}&interval=${options.interval}&groupBy=${vdabGroupBy}&population=${options.population}${recordedAsOf}`);
                expect(pairs.points.map((point: { on: string }) => point.on)).toEqual(ends);
                for (const point of pairs.points) expect([point.on, flattenVdab(point)]).toEqual([point.on, naiveVdab(histories, point.on, vdabGroupOf, options.population)]);
              }
            }
            // This round's answers, published at a moment after its events and before the next round's.
            const answers: Record<string, unknown> = {};
            for (const path of [
              `/statistics/stock?asOf=${asOf}&groupBy=province`,
              `/statistics/flows?from=${FROM}&to=${TO}&interval=year&groupBy=province`,
              `/statistics/outlook?endDate=${asOf}&groupBy=province`,
            ]) {
              answers[path] = await get(path);
            }
            await new Promise((resolve) => setTimeout(resolve, 3));
            published.push({ moment: new Date().toISOString(), answers });
            await new Promise((resolve) => setTimeout(resolve, 3));
          },
        ),
        { numRuns: RANDOM_HISTORY_ROUNDS, endOnFailure: true },
      );
      // Every value of every option came up in a round that asked with it.
      expect({ undealt: { ...funnelCuts.undealt(), ...drawnOptions.undealt() } }).toEqual({ undealt: {} });
    }, roundsTimeout(RANDOM_HISTORY_ROUNDS));

    it('on a map (map=) and by registration or housing (by=): codes translated onto the map of a date before or after the 2025 mergers, persons counted once per place of the map, names never twice; as recorded at an earlier round\'s moment and revised since', async () => {
      // A registration under a code that merged, and one under the code it merged into, whatever is generated: both
      // sides of the mergers are always in play (some seeds generated no registration in 2025 or later in a merged place).
      for (const [municipality, registeredOn] of [['71022', '2024-06-03'], ['71072', '2025-03-03']]) {
        const id = await staff.registered({ municipality, registeredOn, protection: { grantedOn: registeredOn } });
        dossierIds.push(id);
        registeredOnOf.set(id, registeredOn);
      }
      /** Moments between this property's rounds, to ask its answers as recorded then. */
      const moments: string[] = [];
      const mapsAndPlaces = new OptionDealer(MAP_ROUND_PLACES);
      const drawnOptions = new OptionDealer(MAP_ROUND_OPTIONS);
      await fc.assert(
        fc.asyncProperty(
          fc.array(mergerDossierArbitrary, { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 0, max: 1250 }),
          mapsAndPlaces.picks,
          drawnOptions.picks,
          fc.nat(),
          async (dossiers, asOfDay, placePicks, optionPicks, earlier) => {
            const { map, by } = mapsAndPlaces.deal(placePicks);
            for (const dossier of dossiers) await record(dossier, MERGER_FROM, codeOnDate);
            await waitForProjections(testApp);
            const raw = await histories();
            const asOf = addDays(MERGER_FROM, asOfDay);
            const on = `${map === 'as-recorded' ? '' : `&map=${map}`}${by === 'registration' ? '' : `&by=${by}`}`;
            const municipality = (nis: string) => onMap(map, nis);
            const province = (nis: string) => (nis === NOT_HOUSED ? nis : (PROVINCE[onMap(map, nis)] ?? 'none'));
            const answer = async (path: string) => {
              const body = await get(`${path}${on}`);
              expect([body.map, body.by]).toEqual([map, by]);
              return body;
            };

            for (const [groupBy, groupOf] of [['municipality', municipality], ['province', province]] as const) {
              const stock = await answer(`/statistics/stock?asOf=${asOf}&groupBy=${groupBy}`);
              expect(flattenStock(stock)).toEqual(naiveStock(raw, asOf, groupOf, by));
              namesAreUnique(stock.groups);
              const outlook = await answer(`/statistics/outlook?endDate=${asOf}&groupBy=${groupBy}`);
              expect(flattenOutlook(outlook.scenarios[0].groups)).toEqual(naiveOutlook(raw, asOf, groupOf, by));
              for (const unit of ['events', 'persons'] as const) {
                const flows = await answer(`/statistics/flows?from=2023-01-01&to=2026-11-30&interval=year&groupBy=${groupBy}&unit=${unit}`);
                expect(flattenFlows(flows)).toEqual(naiveFlows(raw, flows.periods, groupOf, unit, by));
                for (const period of flows.periods) namesAreUnique(period.groups);
              }
            }
            // A series 2022–2026 by municipality: on a map, only that map's places, each under one name throughout.
            const overTime = await answer('/statistics/stock-over-time?from=2022-01-01&to=2026-11-30&interval=year&groupBy=municipality');
            for (const point of overTime.points) expect(flattenStock(point)).toEqual(naiveStock(raw, point.asOf, municipality, by));
            const places = overTime.points.flatMap((point: any) => point.groups);
            namesAreUnique([...new Map(places.map((g: any) => [groupKey(g.group), g])).values()] as any);
            if (map >= MERGERS && map !== 'as-recorded') expect(places.filter((g: any) => MERGED_INTO[g.group.nis])).toEqual([]);

            const cohort = addDays(MERGER_FROM, dossiers[0].registeredDay).slice(0, 7);
            const funnel = await answer(`/statistics/funnel?cohortFrom=${cohort}&asOf=${asOf}&groupBy=municipality`);
            // By registration, the municipality of the registration; by housing, where the person is housed on asOf.
            const funnelPlace = (h: HistoryEvent[]) => {
              if (by === 'registration') return municipality(h.find((e) => e.type === 'DossierRegistered')!.data.municipality);
              const state = stateOn(h, asOf);
              return state && municipality(placeOf(state, by));
            };
            const members = naiveFunnelMembers(raw, { from: cohort }, asOf);
            expect(funnel.groups.map((g: any) => groupKey(g.group)).sort()).toEqual([...new Set(members.map(funnelPlace))].sort());
            for (const group of funnel.groups) {
              const steps = group.steps.map((s: any) => ({ step: s.step, count: s.count.value, atAll: s.reachedAtAll.value, median: s.medianDaysFromPrevious?.value ?? null }));
              expect(steps).toEqual(naiveFunnel(raw.filter((h) => funnelPlace(h) === groupKey(group.group)), { from: cohort }, asOf));
            }
            namesAreUnique(funnel.groups);

            // VDAB's pair on the map: each person registered at VDAB in the place of the map their registration lands on.
            for (const [groupBy, groupOf] of [['municipality', municipality], ['province', province]] as const) {
              const vdab = await answer(`/statistics/vdab?on=${asOf}&groupBy=${groupBy}`);
              expect(flattenVdab(vdab.points[0])).toEqual(naiveVdab(raw, asOf, (nis) => `${groupOf(nis)}|`, 'all', by));
              namesAreUnique(vdab.points[0].groups);
            }
            const bySexAndCohort = await answer(`/statistics/vdab?on=${asOf}&groupBy=municipality,sex,cohort`);
            expect(flattenVdab(bySexAndCohort.points[0])).toEqual(naiveVdab(raw, asOf, vdabGroupedBy(municipality, true, false, true), 'all', by));

            // On the map and by the place drawn, as recorded at an earlier round's moment and the revisions since (the late
            // events behind a cell of the persons not housed among them): the stock, flows, funnel (cut by a residence status
            // or not) and outlook (observed or projected).
            if (moments.length > 0) {
              const { interval, ...options } = drawnOptions.deal(optionPicks);
              const moment = moments[earlier % moments.length];
              await new Promise((resolve) => setTimeout(resolve, 3));
              const now = new Date().toISOString();
              // By year over the property's years, or by month or quarter over a range across the mergers, clipped at both ends.
              const flows = interval === 'year' ? { from: '2023-01-01', to: '2026-11-30', interval } : { from: '2024-10-15', to: '2025-03-20', interval };
              for (const { question, parameters, answerOf, groupsOn } of questionsOf(asOf, { ...options, map, by, cohort: { from: cohort }, flows })) {
                const label = `${question}?${parameters}`;
                expectShown(`${label} as recorded at ${moment}`, shownAnswer(question, await get(`/statistics/${label}&recordedAsOf=${moment}`)), answerOf(recordedBy(raw, moment)));
                const revisions = await get(revisionsPath(question, parameters, moment, now));
                expect([label, flattenRevisions(revisions)]).toEqual([label, naiveRevisions(raw, moment, now, (at) => answerOf(recordedBy(raw, at)), groupsOn)]);
              }
              // VDAB's pair over that range on the map: each point's persons in the place of the map on its date.
              const place = options.groupBy.startsWith('province') ? province : municipality;
              const pairs = await answer(`/statistics/vdab?from=${flows.from}&to=${flows.to}&interval=${interval}&groupBy=${options.groupBy}`);
              expect(pairs.points.map((point: { on: string }) => point.on)).toEqual(naivePeriods(flows.from, flows.to, interval).map(({ end }) => end));
              for (const point of pairs.points) {
                expect([point.on, flattenVdab(point)]).toEqual([point.on, naiveVdab(raw, point.on, vdabGroupedBy(place, options.groupBy.includes('sex'), false, false), 'all', by)]);
              }
            }
            await new Promise((resolve) => setTimeout(resolve, 3));
            moments.push(new Date().toISOString());
            await new Promise((resolve) => setTimeout(resolve, 3));
          },
        ),
        { numRuns: MAP_ROUNDS, endOnFailure: true },
      );
      // Every map, place and option came up in a round that asked with it.
      expect({ undealt: { ...mapsAndPlaces.undealt(), ...drawnOptions.undealt() } }).toEqual({ undealt: {} });
    }, roundsTimeout(MAP_ROUNDS));

    it('had something to check: accepted changes, facts recorded late, departures and reopenings', async () => {
      const raw = await histories();
      const events = raw.flat();
      const late = raw.filter((h) => h.some((e, i) => h.slice(0, i).some((earlier) => earlier.occurredOn > e.occurredOn)));
      expect(events.length).toBeGreaterThan(raw.length * 2);
      expect(late.length).toBeGreaterThan(0);
      // Figures as recorded at an earlier moment were asked for after late facts had changed them.
      expect(revised).toBeGreaterThan(0);
      // …and the revisions listed changed cells of every question.
      for (const [question, cells] of Object.entries(revisedCells)) expect([question, cells > 0]).toEqual([question, true]);
      expect(events.some((e) => e.type === 'PersonLeft')).toBe(true);
      expect(events.some((e) => e.type === 'DossierReopened')).toBe(true);
      expect(events.some((e) => e.type === 'ResidenceStatusChanged')).toBe(true);
      // Statuses moved between, not only away from temporary protection.
      expect(events.some((e) => e.type === 'ResidenceStatusChanged' && e.data.previousStatus !== 'temporary-protection')).toBe(true);
      // Where the two readings differ: a second stay's housing, a departure with a job; and persons at VDAB, some employed.
      expect(raw.some((h) => h.filter((e) => e.type === 'PersonHoused').length > 1)).toBe(true);
      expect(raw.some((h) => attributed(h).some((e) => e.type === 'PersonLeft' && e.employedBefore))).toBe(true);
      expect(raw.filter((h) => h.some((e) => e.type === 'VdabRegistered')).length).toBeGreaterThan(5);
      expect(raw.filter((h) => h.some((e) => e.type === 'VdabRegistered') && h.some((e) => e.type === 'EmploymentStarted')).length).toBeGreaterThan(1);
      // Codes on both sides of the mergers: one that merged, and the municipality it merged into.
      const registeredIn = new Set(events.filter((e) => e.type === 'DossierRegistered' || e.type === 'DossierReopened').map((e) => e.data.municipality));
      expect(Object.keys(MERGED_INTO).some((nis) => registeredIn.has(nis))).toBe(true);
      expect(Object.values(MERGED_INTO).some((nis) => registeredIn.has(nis) && !MUNICIPALITIES[nis])).toBe(true);
      // Sex not recorded, and persons whose age band changed within the years asked about.
      expect(events.some((e) => e.type === 'DossierRegistered' && e.data.sex === null)).toBe(true);
      expect(raw.some((h) => naiveAgeBand(h, FROM) !== naiveAgeBand(h, TO))).toBe(true);
    });

    it('suppresses every cell of 1 to threshold-1 persons, and never lets hidden parts be worked out from a total (stock, outlook, VDAB\'s pair, the funnel by province and sex)', async () => {
      const admin = await testApp.token('admin');
      expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 3 }), 200);
      const raw = await histories();
      for (const asOf of ['2013-06-30', '2014-12-31', '2016-03-31']) {
        const expected = naiveStock(raw, asOf, (nis) => MUNICIPALITIES[nis] ?? 'none');
        const body = await get(`/statistics/stock?asOf=${asOf}&groupBy=province`);
        for (const group of body.groups) {
          const counts = expected[groupKey(group.group)] ?? {};
          const check = (key: string, c: CellValue) => {
            const n = counts[key] ?? 0;
            if (n > 0 && n < 3) expect([key, c]).toEqual([key, { value: null, suppressed: true }]);
            if (!c.suppressed) expect([key, c.value]).toEqual([key, n]);
            return c.suppressed ? n : 0;
          };
          check('active', group.active);
          const hiddenStages = STAGES.reduce((sum, stage) => sum + check(`stage:${stage}`, group.byStage[stage]), 0);
          const hiddenHousing = Object.entries(group.byHousingType).reduce((sum, [type, c]) => sum + check(`housing:${type}`, c as CellValue), 0);
          if (!group.active.suppressed) {
            expect(hiddenStages === 0 || hiddenStages >= 3).toBe(true);
            expect(hiddenHousing === 0 || hiddenHousing >= 3).toBe(true);
          }
        }
        // The outlook's tables: small cells hidden, shown cells right, and no line with exactly one hidden cell.
        for (const [groupBy, groupOf] of [['province', (nis: string) => MUNICIPALITIES[nis] ?? 'none'], ['none', () => 'all']] as const) {
          const outlookExpected = naiveOutlook(raw, asOf, groupOf);
          const outlook = await get(`/statistics/outlook?endDate=${asOf}&groupBy=${groupBy}`);
          for (const group of outlook.scenarios[0].groups) {
            const counts = outlookExpected[groupKey(group.group)] ?? {};
            const check = (key: string, c: CellValue) => {
              const n = counts[key] ?? 0;
              if (n > 0 && n < 3) expect([key, c]).toEqual([key, { value: null, suppressed: true }]);
              if (!c.suppressed) expect([key, c.value]).toEqual([key, n]);
            };
            for (const part of ['underTemporaryProtection', 'transitioned']) {
              for (const [dimension, field] of [['stage', 'ByStage'], ['housing', 'ByHousingType']]) {
                for (const [category, c] of Object.entries(group[`${part}${field}`] as Record<string, CellValue>)) check(`${part}:${dimension}:${category}`, c);
              }
            }
            check('active', group.active);
            check('left', group.left);
            for (const [stage, c] of Object.entries(group.byStage as Record<string, CellValue>)) check(`stage:${stage}`, c);
            for (const [type, c] of Object.entries(group.byHousingType as Record<string, CellValue>)) check(`housing:${type}`, c);
            check('status:temporary-protection', group.underTemporaryProtection);
            for (const [status, c] of Object.entries(group.transitioned.byStatus as Record<string, CellValue>)) check(`status:${status}`, c);
            expect(outlookGivenAway(group, (path) => outlookCount(counts, path))).toEqual([]);
          }
        }
        // VDAB's pair per province and cohort: each count's groups are a breakdown of its total; a share is hidden with either count.
        const vdabExpected = naiveVdab(raw, asOf, (nis, year) => `${MUNICIPALITIES[nis] ?? 'none'}|${year}`);
        const { points } = await get(`/statistics/vdab?on=${asOf}&groupBy=province,cohort`);
        const rows: Array<[string, any]> = [['total', points[0].total], ...points[0].groups.map((g: any): [string, any] => [`${g.group.nis ?? 'none'}|${g.group.cohort}`, g])];
        for (const measure of ['registeredAtVdab', 'everEmployed', 'employedNow']) {
          let hiddenGroups = 0;
          for (const [key, pair] of rows) {
            const n = vdabExpected[key]?.[measure] ?? 0;
            const c = pair[measure] as CellValue;
            if (n > 0 && n < 3) expect([key, measure, c]).toEqual([key, measure, { value: null, suppressed: true }]);
            if (!c.suppressed) expect([key, measure, c.value]).toEqual([key, measure, n]);
            if (key !== 'total' && c.suppressed) hiddenGroups += n;
          }
          if (!points[0].total[measure].suppressed) expect(hiddenGroups === 0 || hiddenGroups >= 3).toBe(true);
        }
        for (const [, pair] of rows) {
          expect(pair.everEmployedShare.suppressed).toBe(pair.registeredAtVdab.suppressed || pair.everEmployed.suppressed);
          expect(pair.employedNowShare.suppressed).toBe(pair.registeredAtVdab.suppressed || pair.employedNow.suppressed);
        }
        // The stock by province and sex: small cells hidden, shown cells right, and nothing hidden that what is published
        // gives away by subtraction, line after line (each number of each group against the answers by province and by
        // sex, and each group's own breakdowns), but for what those answers and the zeros give away whatever it hides
        // (docs/statistics.md, "Tables across groups").
        const province = (nis: string) => MUNICIPALITIES[nis] ?? 'none';
        const stock = (groupBy: string) => get(`/statistics/stock?asOf=${asOf}&groupBy=${groupBy}`);
        const [byBoth, byProvince, bySex] = await Promise.all(['province,sex', 'province', 'sex'].map(stock));
        const table = stockGroups(byBoth, naiveStock(raw, asOf, groupedBy(province, true, false)));
        expectSmallHidden(table);
        const sameProvince = (margin: any, group: any) => margin.nis === group.nis;
        const sameSex = (margin: any, group: any) => margin.sex === group.sex;
        const stockMargins = [
          { groups: stockGroups(byProvince, naiveStock(raw, asOf, province), true), adds: sameProvince },
          { groups: stockGroups(bySex, naiveStock(raw, asOf, groupedBy(null, true, false)), true), adds: sameSex },
        ];
        expect(givenAway(tableLines(table, byBoth.groups.length ? stockLines(byBoth.groups[0]) : [], stockMargins)).map(({ name }) => name)).toEqual([]);
        // VDAB's pair by age band and cohort, its counts against the answers by age band and by cohort, the same way; a share hidden with either count.
        const [byBandAndCohort, byBand, byCohort] = await Promise.all(['ageBand,cohort', 'ageBand', 'cohort'].map((groupBy) => get(`/statistics/vdab?on=${asOf}&groupBy=${groupBy}`)));
        const vdabGroups = (answer: any, counts: Record<string, Counts>, keyOf: (group: any) => string, margin = false): Array<PublishedGroup<any>> =>
          answer.points[0].groups.map((g: any) => ({
            group: g.group,
            cells: publishedCells({ registeredAtVdab: g.registeredAtVdab, everEmployed: g.everEmployed, employedNow: g.employedNow }, (measure) => counts[keyOf(g.group)]?.[measure] ?? 0, { margin, name: keyOf(g.group) }),
          }));
        const pairs = vdabGroups(byBandAndCohort, naiveVdab(raw, asOf, vdabGroupedBy(null, false, true, true)), (group) => `|${group.ageBand}|${group.cohort}`);
        expectSmallHidden(pairs);
        const vdabMargins = [
          { groups: vdabGroups(byBand, naiveVdab(raw, asOf, vdabGroupedBy(null, false, true, false)), (group) => `|${group.ageBand}|`, true), adds: (margin: any, group: any) => margin.ageBand === group.ageBand },
          { groups: vdabGroups(byCohort, naiveVdab(raw, asOf, vdabGroupedBy(null, false, false, true)), (group) => `|${group.cohort}`, true), adds: (margin: any, group: any) => margin.cohort === group.cohort },
        ];
        expect(givenAway(tableLines(pairs, [], vdabMargins)).map(({ name }) => name)).toEqual([]);
        for (const pair of byBandAndCohort.points[0].groups) {
          expect(pair.everEmployedShare.suppressed).toBe(pair.registeredAtVdab.suppressed || pair.everEmployed.suppressed);
          expect(pair.employedNowShare.suppressed).toBe(pair.registeredAtVdab.suppressed || pair.employedNow.suppressed);
        }
        // The funnel of every cohort by province and sex, its counts (each step's count and reachedAtAll) against the answers
        // by province and by sex, the same way; a rate or wait hidden with a count it derives from.
        const [funnelByBoth, funnelByProvince, funnelBySex] = await Promise.all(['province,sex', 'province', 'sex'].map((groupBy) => get(`/statistics/funnel?asOf=${asOf}&groupBy=${groupBy}`)));
        const funnelGroups = (answer: any, groupBy: string, margin = false): Array<PublishedGroup<any>> => {
          const { cells } = funnelAnswer({}, asOf, funnelGroup(naiveGrouping(groupBy)))(raw);
          return answer.groups.map((g: any) => ({
            group: g.group,
            cells: publishedCells(
              Object.fromEntries(g.steps.map((step: any) => [step.step, { count: step.count, reachedAtAll: step.reachedAtAll }])),
              (path) => (cells[`${asOf}|${groupKey(g.group)}|${path.replace('.', ':')}`]?.value as number | undefined) ?? 0,
              { margin, name: groupKey(g.group) },
            ),
          }));
        };
        const funnelTable = funnelGroups(funnelByBoth, 'province,sex');
        expectSmallHidden(funnelTable);
        const funnelMargins = [
          { groups: funnelGroups(funnelByProvince, 'province', true), adds: sameProvince },
          { groups: funnelGroups(funnelBySex, 'sex', true), adds: sameSex },
        ];
        expect(givenAway(tableLines(funnelTable, [], funnelMargins)).map(({ name }) => name)).toEqual([]);
        for (const { steps } of funnelByBoth.groups) {
          steps.forEach((step: any, index: number) => {
            if (step.count.suppressed) expect([step.rateFromPrevious.suppressed, step.medianDaysFromPrevious?.suppressed ?? true]).toEqual([true, true]);
            if (steps[Math.max(0, index - 1)].count.suppressed) expect(step.rateFromPrevious.suppressed).toBe(true);
          });
        }
      }
    });

    it('revisions under suppression: the cells as the two answers show them, each shown number the naive one; two hidden cells alike, one hidden side listed with no change, late events of 1 to threshold-1 dossiers hidden', async () => {
      const admin = await testApp.token('admin');
      expectStatus(await testApp.http().put('/statistics/settings').set('Authorization', `Bearer ${admin}`).send({ suppressBelow: 3 }), 200);
      // From the first round's moment, and from a moment before one registration in a municipality of its own: 0 before, hidden after.
      const moment = async () => {
        await new Promise((resolve) => setTimeout(resolve, 3));
        return new Date().toISOString();
      };
      const beforeAlone = await moment();
      const alone = await staff.registered({ municipality: '73040', registeredOn: '2013-01-15', protection: { grantedOn: '2013-01-15' } });
      dossierIds.push(alone);
      registeredOnOf.set(alone, '2013-01-15');
      await waitForProjections(testApp);
      const to = await moment();
      const now = await histories();
      const hidden = { sides: 0, lateEvents: 0 };
      const asOf = '2014-12-31';
      // Besides per province: the stock per municipality (the registration alone in its own), and answers grouped by the
      // person (suppressed across their groups too): by province and sex, the outlook projected; by age band, the funnel
      // cut by a residence status and the flows by quarter in persons.
      const questions = [
        ...revisedQuestions(asOf),
        ...questionsOf(asOf, { groupBy: 'municipality' }).filter(({ question }) => question === 'stock'),
        ...questionsOf(asOf, { groupBy: 'province,sex', outlook: 'projected' }).filter(({ question }) => question !== 'flows'),
        ...questionsOf(asOf, { groupBy: 'ageBand', residenceStatus: 'temporary-protection', flows: { from: '2013-11-15', to: '2014-12-31', interval: 'quarter' }, units: ['persons'] }).filter(
          ({ question }) => question === 'funnel' || question === 'flows',
        ),
      ];
      for (const from of [published[0].moment, beforeAlone]) {
        for (const { question, parameters, answerOf, groupsOn } of questions) {
          const revisions = await get(revisionsPath(question, parameters, from, to));
          const answers = new Map<string, NaiveAnswer>();
          for (const at of [from, to]) {
            answers.set(at, shownAnswer(question, await get(`/statistics/${question}?${parameters}&recordedAsOf=${at}`)));
            expectShown(`${question}?${parameters} as recorded at ${at}`, answers.get(at)!, answerOf(recordedBy(now, at)));
          }
          expect([question, parameters, flattenRevisions(revisions)]).toEqual([question, parameters, naiveRevisions(now, from, to, (at) => answers.get(at)!, groupsOn, 3)]);
          hidden.sides += revisions.changes.filter((c: any) => c.before.suppressed !== c.after.suppressed).length;
          hidden.lateEvents += revisions.changes.filter((c: any) => c.lateEvents.suppressed).length;
        }
      }
      expect(hidden.sides).toBeGreaterThan(0);
      expect(hidden.lateEvents).toBeGreaterThan(0);
    }, 120_000);
  });
}
