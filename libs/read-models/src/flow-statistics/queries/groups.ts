import { AGE_BANDS, defaultMunicipalityDirectory, SEXES, type MapDate } from '@app/domain';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAT_PERIODS_TABLE } from '../flow-statistics.projection';
import { recordedRows, type RecordedAsOf } from './recorded';
import { STAT_PERSONS_TABLE } from '../person-attributes';
import { mapOf, NOT_HOUSED, placeSql, type Place as PlaceOnMap } from './place';

/** Where a person is counted: at most one of these in a grouping. */
export const PLACES = ['province', 'municipality'] as const;
export type Place = (typeof PLACES)[number];
/** What `groupBy` may list, comma-separated, in the order answers repeat them. */
export const GROUP_DIMENSIONS = [...PLACES, 'sex', 'ageBand'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];
/** The sexes groups are of: the domain's, and `unknown` for a person whose sex was not recorded. */
export const GROUP_SEXES = [...SEXES, 'unknown'] as const;
export { AGE_BANDS };

/** `none`, or the dimensions a statistic is grouped by, comma-separated in the order of GROUP_DIMENSIONS (`province,sex`). */
export type GroupBy = string;

/** A groupBy read: the place (if any) and whether sex and age band split it further. */
export interface Grouping {
  place: Place | null;
  sex: boolean;
  ageBand: boolean;
}

/**
 * A groupBy parameter as written (`sex,province`) in the form answers repeat (`province,sex`), or
 * the rule it breaks. A statistic with dimensions of its own (VDAB's cohort) lists them in `own`:
 * they come after the common ones.
 */
export function readGroupBy(text: string, own: readonly string[] = []): { groupBy: GroupBy } | { error: string } {
  const dimensions: readonly string[] = [...GROUP_DIMENSIONS, ...own];
  const names = text.split(',');
  if (text === 'none') return { groupBy: 'none' };
  if (names.includes('none')) return { error: 'groupBy none stands alone' };
  const unknown = names.filter((name) => !dimensions.includes(name));
  if (unknown.length > 0) return { error: `groupBy lists none, or dimensions of ${dimensions.join(', ')}; not ${unknown.map((name) => JSON.stringify(name)).join(', ')}` };
  if (new Set(names).size !== names.length) return { error: 'groupBy names a dimension once' };
  if (names.filter((name) => (PLACES as readonly string[]).includes(name)).length > 1) return { error: 'groupBy takes at most one place: province or municipality' };
  return { groupBy: dimensions.filter((dimension) => names.includes(dimension)).join(',') };
}

/** The grouping a groupBy (as answers repeat it) stands for. */
export function groupingOf(groupBy: GroupBy): Grouping {
  const names = groupBy === 'none' ? [] : groupBy.split(',');
  return {
    place: PLACES.find((place) => names.includes(place)) ?? null,
    sex: names.includes('sex'),
    ageBand: names.includes('ageBand'),
  };
}

/** The groupBy of a grouping (`none` without any dimension). */
export function groupByOf(grouping: Grouping): GroupBy {
  const names = [grouping.place, grouping.sex && 'sex', grouping.ageBand && 'ageBand'].filter((name): name is string => Boolean(name));
  return names.length === 0 ? 'none' : names.join(',');
}

/** Whether the grouping splits by the person (sex or age band), so reads stat_person_attributes. */
export const byPerson = (grouping: Grouping) => grouping.sex || grouping.ageBand;

/**
 * What a row of statistics is about: null without groupBy; else a field per dimension: a
 * province (nis null: Brussels) or a municipality as `{ nis, name }`, `sex`, `ageBand`.
 */
export interface GroupView {
  nis?: string | null;
  name?: string;
  sex?: string;
  ageBand?: string;
}

/** A group as the queries read it: its place (grp), sex and age band, null for a dimension not grouped by. */
export interface GroupRow {
  grp: string | null;
  grp_sex: string | null;
  grp_band: string | null;
}

export const NO_GROUP: GroupRow = { grp: null, grp_sex: null, grp_band: null };

/**
 * The place of a grouping in SQL over the read model's rows (`alias` their table's): the
 * expression (place.ts: translated onto the map by `join`), NULL without a place.
 */
export function placeOf(grouping: Grouping, on: PlaceOnMap, params: unknown[], alias = ''): { grp: string; join: string } {
  if (grouping.place === null) return { grp: 'NULL::text', join: '' };
  const sql = placeSql(on, params, alias);
  return { grp: grouping.place === 'province' ? sql.province : sql.municipality, join: sql.join };
}

/**
 * The select list of a group (grp, grp_sex, grp_band), NULL for a dimension not grouped by, and
 * the join its place needs (placeOf); sex and age band from personOn's or periodsOf's columns,
 * unknown (NULL there) as `unknown`.
 */
export function groupSql(grouping: Grouping, on: PlaceOnMap, params: unknown[], alias = ''): { columns: string; join: string } {
  const { grp, join } = placeOf(grouping, on, params, alias);
  const columns = [
    `${grp} AS grp`,
    `${grouping.sex ? "coalesce(person_sex, 'unknown')" : 'NULL::text'} AS grp_sex`,
    `${grouping.ageBand ? "coalesce(person_band, 'unknown')" : 'NULL::text'} AS grp_band`,
  ].join(', ');
  return { columns, join };
}

const STAT_PERSONS = `${READ_MODEL_SCHEMA}.${STAT_PERSONS_TABLE}`;

/**
 * The person's sex and age band on `date` (SQL) beside each row of a dossier (`dossierId`, SQL),
 * as person_sex and person_band; nothing to join without sex or age band. A person without rows
 * (a read model not rebuilt since they came) is unknown.
 */
export function personOn(grouping: Grouping, dossierId: string, date: string): string {
  if (!byPerson(grouping)) return '';
  // An alias no caller uses: the caller's `dossierId` and `date` are read inside this subquery.
  return `LEFT JOIN LATERAL (SELECT person_runs.sex AS person_sex, person_runs.age_band AS person_band FROM ${STAT_PERSONS} person_runs
             WHERE person_runs.dossier_id = ${dossierId} AND person_runs.valid_from <= ${date}
               AND (person_runs.valid_to IS NULL OR person_runs.valid_to > ${date})) AS person ON true`;
}

/**
 * The dossiers' periods (stat_dossier_periods' columns), cut where the person's age band changes
 * when the grouping splits by the person, with person_sex and person_band: a period and a run of
 * an age band meeting make one row over the days they share.
 */
export function periodsOf(grouping: Grouping, at: RecordedAsOf): string {
  const periods = recordedRows(STAT_PERIODS_TABLE, at);
  if (!byPerson(grouping)) return `${periods} AS periods`;
  return `(SELECT p.dossier_id, greatest(p.valid_from, a.valid_from) AS valid_from, least(p.valid_to, a.valid_to) AS valid_to,
                  p.active, p.stage, p.housing_type, p.municipality, p.province_nis, p.employed_now, p.ever_employed, p.vdab, p.inburgering,
                  p.residence_status, p.housing_municipality, p.housing_province_nis, a.sex AS person_sex, a.age_band AS person_band
             FROM ${periods} p
             LEFT JOIN ${STAT_PERSONS} a ON a.dossier_id = p.dossier_id AND (p.valid_to IS NULL OR a.valid_from < p.valid_to)
                                          AND (a.valid_to IS NULL OR a.valid_to > p.valid_from)) AS periods`;
}

/** Keys of groups in maps. '' stands for "no place" and for Brussels' null province alike (never both at once). */
export const keyOf = (row: GroupRow) => `${row.grp ?? ''}|${row.grp_sex ?? ''}|${row.grp_band ?? ''}`;

const PROVINCE_NAMES = new Map(
  defaultMunicipalityDirectory
    .all()
    .filter((m) => m.province)
    .map((m) => [m.province!.nis, m.province!.name] as const),
);

/** The name of the group of the persons not housed, by housing; it has no code. */
const NOT_HOUSED_NAME = 'Not housed';

/** A place of an answer on `map`; a municipality by the name it has on that map (place.ts). */
function placeView(place: Place, nis: string | null, map: MapDate): { nis: string | null; name: string } {
  if (nis === NOT_HOUSED) return { nis: null, name: NOT_HOUSED_NAME };
  if (place === 'province') {
    return nis === null ? { nis: null, name: 'Brussels-Capital Region (no province)' } : { nis, name: PROVINCE_NAMES.get(nis) ?? nis };
  }
  return { nis, name: (nis && mapOf(map).place(nis)?.name) || (nis ?? 'unknown') };
}

/**
 * The place of a group as the queries read it (GroupRow's grp, keyOf's '' for Brussels' null
 * province) from the group as answered: placeView's inverse. The persons not housed and Brussels
 * both have no code, so the name tells them apart.
 */
export const placeKeyOf = (group: GroupView) => group.nis ?? (group.name === NOT_HOUSED_NAME ? NOT_HOUSED : '');

export function groupView(grouping: Grouping, row: GroupRow, map: MapDate): GroupView | null {
  if (grouping.place === null && !byPerson(grouping)) return null;
  // placeView's object is the view's own, the person's fields set on it: no object spread into
  // another (a view per group and point, 576 an answer of VDAB's 48 month ends by province).
  const view: GroupView = grouping.place ? placeView(grouping.place, row.grp, map) : {};
  if (grouping.sex) view.sex = row.grp_sex ?? 'unknown';
  if (grouping.ageBand) view.ageBand = row.grp_band ?? 'unknown';
  return view;
}

const SEX_ORDER = new Map<string, number>(GROUP_SEXES.map((sex, index) => [sex, index]));
const BAND_ORDER = new Map<string, number>(AGE_BANDS.map((band, index) => [band, index]));
const byPlace = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
const byOrder = (order: Map<string, number>, a: string | null, b: string | null) => (order.get(a ?? '') ?? -1) - (order.get(b ?? '') ?? -1);

/** Groups by the codes of their places, then the persons not housed, Brussels' null province last; then sex and age band in the order of GROUP_SEXES and AGE_BANDS. */
export const byGroup = (a: GroupRow, b: GroupRow) => byPlace(a.grp, b.grp) || byOrder(SEX_ORDER, a.grp_sex, b.grp_sex) || byOrder(BAND_ORDER, a.grp_band, b.grp_band);
