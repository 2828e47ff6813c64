import { defaultMunicipalityDirectory } from '@app/domain';

export const GROUP_BYS = ['none', 'province', 'municipality'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** What a row of statistics is about: null without groupBy; a province (nis null: Brussels) or a municipality. */
export interface GroupView {
  nis: string | null;
  name: string;
}

/** The column of the read model's tables a statistic is grouped by. */
export const GROUP_COLUMN: Record<GroupBy, string> = { none: 'NULL::text', province: 'province_nis', municipality: 'municipality' };
/** Keys of groups in maps; '' stands for "no group" and for Brussels' null province alike (never both at once). */
export const keyOf = (value: string | null) => value ?? '';

const PROVINCE_NAMES = new Map(
  defaultMunicipalityDirectory
    .all()
    .filter((m) => m.province)
    .map((m) => [m.province!.nis, m.province!.name] as const),
);

export function groupView(groupBy: GroupBy, nis: string | null): GroupView | null {
  if (groupBy === 'none') return null;
  if (groupBy === 'province') {
    return nis === null ? { nis: null, name: 'Brussels-Capital Region (no province)' } : { nis, name: PROVINCE_NAMES.get(nis) ?? nis };
  }
  return { nis, name: (nis && defaultMunicipalityDirectory.resolve(nis)?.name) || (nis ?? 'unknown') };
}

/** Groups in the order of their codes, Brussels' null province (and no group) last. */
export const byGroup = (a: string, b: string) => (a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a < b ? -1 : 1);

