import type { IsoDate } from '../dossier/events';
import type { Municipality, MunicipalityDirectory } from './municipality-directory';

/** The codes as they were recorded, each on the map of the date it was recorded on. */
export const AS_RECORDED = 'as-recorded';

/** The map an answer puts municipalities on: the one valid on a date, or the codes as recorded. */
export type MapDate = IsoDate | typeof AS_RECORDED;

/** A municipality of a map, named so that no other place of the same map has its name. */
export interface MapPlace {
  nis: string;
  name: string;
  /** Null in Brussels. */
  province: { nis: string; name: string } | null;
}

export interface MunicipalityMap {
  map: MapDate;
  /** Where a recorded code lands on this map; undefined for a code the reference data never knew. */
  place(nis: string): MapPlace | undefined;
  /** Every code of the reference data with the place it lands on (itself, as recorded). */
  places(): Array<{ recorded: string; place: MapPlace }>;
}

const year = (date: IsoDate) => date.slice(0, 4);

/** A name that says which of several municipalities of that name it is: its code and its years. */
function distinguished(municipality: Municipality): string {
  const { name, nis, validFrom, validTo } = municipality;
  if (validTo !== null) return `${name} (${nis}, until ${year(validTo)})`;
  if (validFrom > '1970-01-01') return `${name} (${nis}, from ${year(validFrom)})`;
  return `${name} (${nis})`;
}

/**
 * The municipalities as an answer on `map` shows them. On a map date every recorded code is
 * translated onto the map valid then (MunicipalityDirectory.onMap): Hasselt 71022 and Kortessem
 * 73040 are Hasselt 71072 on a 2025 map, and Zwijndrecht 11056 is Beveren-Kruibeke-Zwijndrecht
 * 46030 in Oost-Vlaanderen. As recorded, every code stands for itself (its latest period).
 * Places of one map that share a name (as recorded: Hasselt 71022 and 71072; on a 2024 map:
 * 71022 and 71072, which cannot be split back) are distinguished by code and years, so one
 * answer never shows a name twice.
 */
export function municipalityMap(directory: MunicipalityDirectory, map: MapDate): MunicipalityMap {
  const landsOn = new Map<string, Municipality>();
  for (const { nis } of directory.all()) {
    if (landsOn.has(nis)) continue;
    landsOn.set(nis, (map === AS_RECORDED ? directory.resolve(nis) : directory.onMap(nis, map))!);
  }
  const namesakes = new Map<string, Set<string>>();
  for (const { nis, name } of landsOn.values()) namesakes.set(name, (namesakes.get(name) ?? new Set()).add(nis));
  const placeOf = (municipality: Municipality): MapPlace => ({
    nis: municipality.nis,
    name: namesakes.get(municipality.name)!.size > 1 ? distinguished(municipality) : municipality.name,
    province: municipality.province,
  });
  const places = new Map([...landsOn].map(([recorded, municipality]) => [recorded, placeOf(municipality)]));
  return {
    map,
    place: (nis) => places.get(nis),
    places: () => [...places].map(([recorded, place]) => ({ recorded, place })),
  };
}
