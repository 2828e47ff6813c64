/**
 * Builds libs/domain/src/reference/municipalities.json from Statbel's REFNIS list and the 2025
 * merger list in libs/domain/reference-data/ (see the README there).
 *
 *   npx ts-node --transpile-only scripts/build-municipalities.ts
 *
 * Fails loudly instead of writing a map that does not add up, since every registration is
 * validated against it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Municipality, Region } from '../libs/domain/src';

const referenceData = join(__dirname, '..', 'libs', 'domain', 'reference-data');
const output = join(__dirname, '..', 'libs', 'domain', 'src', 'reference', 'municipalities.json');

const REGIONS: ReadonlyMap<number, Region> = new Map([
  [2000, 'flanders'],
  [4000, 'brussels'],
]);
const MERGERS_IN_FORCE_ON = '2025-01-01';
const LAST_DAY_BEFORE_MERGERS = '2024-12-31';

interface RefnisRow {
  level: number;
  nis: number;
  parent: number | null;
  nameNl: string;
  validFrom: string;
  validTo: string | null;
}

/** dd/mm/yyyy → yyyy-mm-dd; REFNIS writes "still valid" as 31/12/9999. */
function isoDate(refnisDate: string): string | null {
  const [day, month, year] = refnisDate.split('/');
  return year === '9999' ? null : `${year}-${month}-${day}`;
}

function readRefnis(): RefnisRow[] {
  const [header, ...lines] = readFileSync(join(referenceData, 'refnis.csv'), 'utf8').trim().split(/\r?\n/);
  const expected = 'LVL_REFNIS,CD_REFNIS,CD_SUP_REFNIS,TX_REFNIS_DE,TX_REFNIS_FR,TX_REFNIS_NL,DT_VLDT_START,DT_VLDT_END';
  if (header !== expected) throw new Error(`refnis.csv: unexpected header ${header}`);
  return lines.map((line) => {
    const fields = line.split(',');
    if (fields.length !== 8) throw new Error(`refnis.csv: expected 8 fields in ${line}`);
    const [level, nis, parent, , , nameNl, start, end] = fields;
    const validFrom = isoDate(start);
    if (validFrom === null) throw new Error(`refnis.csv: no start date in ${line}`);
    return {
      level: Number(level),
      nis: Number(nis),
      // CD_SUP_REFNIS carries leading zeros (02000) where CD_REFNIS does not (2000).
      parent: parent === '-' ? null : Number(parent),
      nameNl,
      validFrom,
      validTo: isoDate(end),
    };
  });
}

/**
 * The latest row of every region, province and arrondissement: a municipality belongs to the
 * province and region its arrondissement belongs to now. That also places municipalities that
 * ended before 1995, when their arrondissement still hung under the unitary province of Brabant,
 * which belongs to no region.
 */
function latestRows(rows: RefnisRow[]): Map<number, RefnisRow> {
  const latest = new Map<number, RefnisRow>();
  for (const row of rows.filter((r) => r.level < 4)) {
    const known = latest.get(row.nis);
    if (!known || row.validFrom > known.validFrom) latest.set(row.nis, row);
  }
  return latest;
}

type Place = Pick<Municipality, 'province'> & { region: Region | undefined };

/** Province and region of whatever hangs under `parent`, walking CD_SUP_REFNIS upwards. */
function placer(rows: RefnisRow[]): (parent: number | null) => Place {
  const ancestors = latestRows(rows);
  return (parent) => {
    const place: Place = { province: null, region: undefined };
    for (let up = parent; up !== null; ) {
      const ancestor = ancestors.get(up);
      if (!ancestor) throw new Error(`refnis.csv: unknown ancestor ${up}`);
      if (ancestor.level === 2) place.province = { nis: String(ancestor.nis), name: ancestor.nameNl.replace(/^Provincie /, '') };
      if (ancestor.level === 1) place.region = REGIONS.get(ancestor.nis);
      up = ancestor.parent;
    }
    return place;
  };
}

function municipalitiesOfFlandersAndBrussels(rows: RefnisRow[], placeUnder: (parent: number | null) => Place): Municipality[] {
  const result: Municipality[] = [];
  for (const row of rows.filter((r) => r.level === 4)) {
    const { province, region } = placeUnder(row.parent);
    if (region) {
      result.push({ nis: String(row.nis), name: row.nameNl, province, region, validFrom: row.validFrom, validTo: row.validTo });
    }
  }
  return result;
}

interface Merger {
  merging: { nis: string; name: string }[];
  into: { nis: string; name: string };
}

/** Lines like `Antwerpen (11002) + Borsbeek (11007),\tAntwerpen (11002)`. */
function readMergers(): Merger[] {
  const [, ...lines] = readFileSync(join(referenceData, 'fusies-2025.csv'), 'utf8').trim().split(/\r?\n/);
  const named = /\s*(.+?) \((\d{5})\)\s*$/;
  const parse = (text: string) => {
    const match = named.exec(text);
    if (!match) throw new Error(`fusies-2025.csv: cannot read "${text}"`);
    return { name: match[1], nis: match[2] };
  };
  return lines.map((line) => {
    const [merging, into] = line.split(',\t');
    if (into === undefined) throw new Error(`fusies-2025.csv: expected two columns in ${line}`);
    return { merging: merging.split(' + ').map(parse), into: parse(into) };
  });
}

/** The merger list gives one new name as provisional; the municipality kept it. */
const officialName = (name: string) => name.replace(/ \(voorlopige naam\)$/, '');

function applyMergers(
  municipalities: Municipality[],
  mergers: Merger[],
  placeUnder: (parent: number | null) => Place,
): Municipality[] {
  const current = (nis: string) => municipalities.find((m) => m.nis === nis && m.validTo === null);
  const result = [...municipalities];
  for (const merger of mergers) {
    if (!merger.merging.some(({ nis }) => municipalities.some((m) => m.nis === nis))) continue; // Bastogne, in Wallonia
    const absorbed = merger.merging.map(({ nis, name }) => {
      const municipality = current(nis);
      if (!municipality) throw new Error(`${nis} is no current municipality of Flanders; is this merger already in refnis.csv?`);
      // REFNIS tells homonyms apart by arrondissement, "Tielt (Tielt)"; the merger list does not.
      if (municipality.name.replace(/ \(.+\)$/, '') !== name) {
        throw new Error(`fusies-2025.csv names ${nis} ${name}, REFNIS ${municipality.name}`);
      }
      return municipality;
    });
    const continuing = absorbed.find((m) => m.nis === merger.into.nis);
    for (const old of absorbed.filter((m) => m !== continuing)) {
      result[result.indexOf(old)] = { ...old, validTo: LAST_DAY_BEFORE_MERGERS, mergedInto: merger.into.nis };
    }
    if (continuing) continue;
    // NIS codes start with their arrondissement's digits. Beveren-Kruibeke-Zwijndrecht takes
    // Zwijndrecht from the province of Antwerpen into Oost-Vlaanderen, so the old codes do not
    // agree on a province; the new code's arrondissement settles it.
    const { province } = placeUnder(Number(`${merger.into.nis.slice(0, 2)}000`));
    if (!absorbed.some((m) => m.province?.nis === province?.nis)) {
      throw new Error(`merger into ${merger.into.nis}: its province is none of the merging municipalities'`);
    }
    result.push({
      nis: merger.into.nis,
      name: officialName(merger.into.name),
      province,
      region: absorbed[0].region,
      validFrom: MERGERS_IN_FORCE_ON,
      validTo: null,
    });
  }
  return result;
}

function validOn(municipalities: Municipality[], region: Region, on: string): number {
  return municipalities.filter(
    (m) => m.region === region && m.validFrom <= on && (m.validTo === null || on <= m.validTo),
  ).length;
}

function check(municipalities: Municipality[]): void {
  const expectations: [Region, string, number][] = [
    ['flanders', LAST_DAY_BEFORE_MERGERS, 300],
    ['flanders', MERGERS_IN_FORCE_ON, 285],
    ['brussels', LAST_DAY_BEFORE_MERGERS, 19],
    ['brussels', MERGERS_IN_FORCE_ON, 19],
  ];
  for (const [region, on, expected] of expectations) {
    const actual = validOn(municipalities, region, on);
    if (actual !== expected) throw new Error(`${region} on ${on}: ${actual} municipalities, expected ${expected}`);
  }
  const seen = new Set<string>();
  for (const m of municipalities) {
    const key = `${m.nis} ${m.validFrom}`;
    if (seen.has(key)) throw new Error(`${m.nis} starts twice on ${m.validFrom}`);
    seen.add(key);
  }
}

const refnis = readRefnis();
const placeUnder = placer(refnis);
const municipalities = applyMergers(municipalitiesOfFlandersAndBrussels(refnis, placeUnder), readMergers(), placeUnder).sort(
  (a, b) => a.nis.localeCompare(b.nis) || a.validFrom.localeCompare(b.validFrom),
);
check(municipalities);
// One municipality a line: diffs of a new REFNIS release stay readable.
writeFileSync(output, `[\n${municipalities.map((m) => `  ${JSON.stringify(m)}`).join(',\n')}\n]\n`);
console.log(`wrote ${municipalities.length} municipalities to ${output}`);
