import { AS_RECORDED, defaultMunicipalityDirectory, municipalityMap, type MapDate, type MunicipalityMap } from '@app/domain';

/** Which place of a dossier a statistic groups by: where the person is registered. */
export const PLACE_READINGS = ['registration'] as const;
export type PlaceReading = (typeof PLACE_READINGS)[number];

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
 * The SQL of a place grouping over rows with `municipality` and `province_nis` (as recorded:
 * the municipality, and its province on the day it was set), prefixed by `alias`:
 * the municipality and province expressions, and a join that translates them onto the map. The
 * translation is joined in, so whatever is counted afterwards (distinct persons included) is
 * counted per place of the map, never summed over the codes that land on it. `params` gets the
 * join's parameters.
 */
export function placeSql(place: Place, params: unknown[], alias = ''): { municipality: string; province: string; join: string } {
  const municipality = `${alias}municipality`;
  const province = `${alias}province_nis`;
  if (place.map === AS_RECORDED) return { municipality, province, join: '' };
  const rows = mapOf(place.map).places();
  const [recorded, nis, provinces] = [rows.map((r) => r.recorded), rows.map((r) => r.place.nis), rows.map((r) => r.place.province?.nis ?? null)].map(
    (values) => `$${params.push(values)}::text[]`,
  );
  return {
    municipality: `coalesce(on_map.map_nis, ${municipality})`,
    province: `CASE WHEN on_map.recorded_nis IS NULL THEN ${province} ELSE on_map.map_province_nis END`,
    join: `LEFT JOIN unnest(${recorded}, ${nis}, ${provinces}) AS on_map (recorded_nis, map_nis, map_province_nis) ON on_map.recorded_nis = ${municipality}`,
  };
}
