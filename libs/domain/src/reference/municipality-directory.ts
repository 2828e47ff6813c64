import type { IsoDate } from '../dossier/events';
import municipalities from './municipalities.json';

export type Region = 'flanders' | 'brussels';

/**
 * One period in which a NIS code named a municipality of Flanders or Brussels. A code can have
 * several periods, and a merged municipality can keep one of the old codes (Antwerpen, 11002).
 */
export interface Municipality {
  nis: string;
  /** Dutch name. */
  name: string;
  /** Null in Brussels, which belongs to no province. */
  province: { nis: string; name: string } | null;
  region: Region;
  /** 1970-01-01 is where REFNIS starts counting, not when the municipality was founded. */
  validFrom: IsoDate;
  /** Last day the code was valid; null while it still is. */
  validTo: IsoDate | null;
  /** The code it merged into, where the reference data records it (the 2025 mergers). */
  mergedInto?: string;
}

export interface MunicipalityDirectory {
  /** The municipality with this NIS code on that date, or null if the code was not valid then. */
  find(nis: string, on: IsoDate): Municipality | null;
  /** Every period of this NIS code, oldest first. */
  history(nis: string): Municipality[];
  /**
   * What a recorded NIS code stands for: its period on `on`, else (recorded history stands where
   * the reference data does not know the code on that date) or without a date, its latest period.
   * Undefined for a code that never named a municipality of Flanders or Brussels.
   */
  resolve(nis: string, on?: IsoDate): Municipality | undefined;
  /**
   * The municipality a recorded NIS code stands for on the map valid on `mapDate`: the code's
   * period then (resolve), and while that period ended before the map date, the code it merged
   * into (`mergedInto`), and so on. A code that ended without a successor in the reference data
   * stays itself; so does a code that only starts after the map date (a municipality created by a
   * merger cannot be split back into the ones it replaced). Undefined where resolve is.
   */
  onMap(nis: string, mapDate: IsoDate): Municipality | undefined;
  all(): Municipality[];
}

export function municipalityDirectory(entries: readonly Municipality[]): MunicipalityDirectory {
  const byNis = new Map<string, Municipality[]>();
  for (const entry of entries) byNis.set(entry.nis, [...(byNis.get(entry.nis) ?? []), entry]);
  for (const periods of byNis.values()) periods.sort((a, b) => a.validFrom.localeCompare(b.validFrom));
  const find = (nis: string, on: IsoDate) =>
    byNis.get(nis)?.find((m) => m.validFrom <= on && (m.validTo === null || on <= m.validTo)) ?? null;
  const resolve = (nis: string, on?: IsoDate) => (on === undefined ? null : find(nis, on)) ?? byNis.get(nis)?.at(-1);
  const onMap = (nis: string, mapDate: IsoDate) => {
    let municipality = resolve(nis, mapDate);
    // Each step moves to a later period; the bound only guards against a cycle in bad reference data.
    for (let steps = 0; steps < byNis.size && municipality?.mergedInto && municipality.validTo !== null && municipality.validTo < mapDate; steps++) {
      municipality = resolve(municipality.mergedInto, mapDate);
    }
    return municipality;
  };
  return {
    find,
    history: (nis) => [...(byNis.get(nis) ?? [])],
    resolve,
    onMap,
    all: () => [...entries],
  };
}

/** Flanders and Brussels from Statbel's REFNIS with the 2025 mergers; see reference-data/README.md. */
export const defaultMunicipalityDirectory: MunicipalityDirectory = municipalityDirectory(
  municipalities as readonly Municipality[],
);
