import { defaultMunicipalityDirectory, type MapDate } from '@app/domain';
import { mapOf, placeSql, type Place } from './place';

export const GROUP_BYS = ['none', 'province', 'municipality'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** What a row of statistics is about: null without groupBy; a province (nis null: Brussels) or a municipality. */
export interface GroupView {
  nis: string | null;
  name: string;
}

/**
 * What a statistic is grouped by, in SQL over the read model's rows (`alias` their table's):
 * the place's expression (place.ts: translated onto the map by `join`), or none.
 */
export function groupSql(groupBy: GroupBy, place: Place, params: unknown[], alias = ''): { grp: string; join: string } {
  if (groupBy === 'none') return { grp: 'NULL::text', join: '' };
  const sql = placeSql(place, params, alias);
  return { grp: groupBy === 'province' ? sql.province : sql.municipality, join: sql.join };
}

/** Keys of groups in maps; '' stands for "no group" and for Brussels' null province alike (never both at once). */
export const keyOf = (value: string | null) => value ?? '';

const PROVINCE_NAMES = new Map(
  defaultMunicipalityDirectory
    .all()
    .filter((m) => m.province)
    .map((m) => [m.province!.nis, m.province!.name] as const),
);

/** A group of an answer on `map`; a municipality by the name it has on that map (place.ts). */
export function groupView(groupBy: GroupBy, nis: string | null, map: MapDate): GroupView | null {
  if (groupBy === 'none') return null;
  if (groupBy === 'province') {
    return nis === null ? { nis: null, name: 'Brussels-Capital Region (no province)' } : { nis, name: PROVINCE_NAMES.get(nis) ?? nis };
  }
  return { nis, name: (nis && mapOf(map).place(nis)?.name) || (nis ?? 'unknown') };
}

/** Groups in the order of their codes, Brussels' null province (and no group) last. */
export const byGroup = (a: string, b: string) => (a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1);

