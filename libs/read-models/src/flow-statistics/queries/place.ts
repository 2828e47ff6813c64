import { AS_RECORDED, defaultMunicipalityDirectory, municipalityMap, type MapDate, type MunicipalityMap } from '@app/domain';

/** Which place of a dossier a statistic groups by: where the person is registered, or housed. */
export const PLACE_READINGS = ['registration', 'housing'] as const;
export type PlaceReading = (typeof PLACE_READINGS)[number];

/** The group of the persons not housed, by housing (before their first housing, after leaving). */
export const NOT_HOUSED = 'not-housed';

/** The read model's columns of each place: the municipality as recorded and its province on the day it was set. */
const COLUMNS: Record<PlaceReading, { municipality: string; province: string }> = {
  registration: { municipality: 'municipality', province: 'province_nis' },
  housing: { municipality: 'housing_municipality', province: 'housing_province_nis' },
};

/** Where the statistics put a dossier: by which of its places, on which map. */
export interface Place {
  map: MapDate;
  by: PlaceReading;
}

/** The place and map of an answer, as it states them. */
export interface PlaceEcho {
  /** The map date, or "as-recorded". */
  map: MapDate;
  by: PlaceReading;
}

export const REGISTRATION_AS_RECORDED: Place = { map: AS_RECORDED, by: 'registration' };

/** The maps asked for lately: each is worked out from the whole reference data. */
const maps = new Map<MapDate, MunicipalityMap>();
export function mapOf(map: MapDate): MunicipalityMap {
  let known = maps.get(map);
  if (!known) {
    if (maps.size >= 50) maps.delete(maps.keys().next().value!);
    known = municipalityMap(defaultMunicipalityDirectory, map);
    maps.set(map, known);
  }
  return known;
}

/**
 * The SQL of a place grouping over rows of the read model (their table's `alias`): the
 * municipality and province expressions of the place `by` reads (COLUMNS; by housing, a person not
 * housed is NOT_HOUSED), and a join that translates them onto the map. The translation is joined
 * in, so whatever is counted afterwards (distinct persons included) is counted per place of the
 * map, never summed over the codes that land on it. `params` gets the join's parameters.
 */
export function placeSql(place: Place, params: unknown[], alias = ''): { municipality: string; province: string; join: string } {
  const recorded = { municipality: `${alias}${COLUMNS[place.by].municipality}`, province: `${alias}${COLUMNS[place.by].province}` };
  const { municipality, province, join } = place.map === AS_RECORDED ? { ...recorded, join: '' } : onMapSql(place.map, recorded.municipality, recorded.province, params);
  if (place.by === 'registration') return { municipality, province, join };
  const housed = (expression: string) => `CASE WHEN ${recorded.municipality} IS NULL THEN '${NOT_HOUSED}' ELSE ${expression} END`;
  return { municipality: housed(municipality), province: housed(province), join };
}

function onMapSql(map: MapDate, municipality: string, province: string, params: unknown[]) {
  const rows = mapOf(map).places();
  const [codes, nis, provinces] = [rows.map((r) => r.recorded), rows.map((r) => r.place.nis), rows.map((r) => r.place.province?.nis ?? null)].map(
    (values) => `$${params.push(values)}::text[]`,
  );
  return {
    municipality: `coalesce(on_map.map_nis, ${municipality})`,
    province: `CASE WHEN on_map.recorded_nis IS NULL THEN ${province} ELSE on_map.map_province_nis END`,
    join: `LEFT JOIN unnest(${codes}, ${nis}, ${provinces}) AS on_map (recorded_nis, map_nis, map_province_nis) ON on_map.recorded_nis = ${municipality}`,
  };
}
