import { defaultMunicipalityDirectory, type IsoDate, type MunicipalityDirectory } from '@app/domain';

/** The province of a recorded NIS code on a date (MunicipalityDirectory.resolve), for the read models that keep it. */
export function provinceOf(nis: string, on: IsoDate, directory: MunicipalityDirectory = defaultMunicipalityDirectory): string | null {
  return directory.resolve(nis, on)?.province?.nis ?? null;
}
