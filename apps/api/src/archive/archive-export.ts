import { Injectable } from '@nestjs/common';
import { canonicalJson } from '@app/platform';
import { DossierRepository, type LoadedDossier } from '@app/dossiers';
import { ArchiveReader } from '@app/read-models';
import { archivedDossier } from './archive.views';

/**
 * One line of the archive export: the archived dossier, each event with `storedData` where what
 * was stored differs from what it reads as (an encrypted personal block), because the hash chain
 * covers the stored form. Undefined when the dossier is not archived.
 */
export function exportLine(dossier: LoadedDossier) {
  const archived = archivedDossier(dossier);
  if (!archived) return undefined;
  return {
    ...archived,
    history: archived.history.map((entry, index) => {
      const stored = dossier.events[index].stored.data;
      return canonicalJson(stored) === canonicalJson(entry.data) ? entry : { ...entry, storedData: stored };
    }),
  };
}

/** The archive export, for HTTP and the command line alike: the ids first (for the access log), then the lines. */
@Injectable()
export class ArchiveExport {
  constructor(
    private readonly reader: ArchiveReader,
    private readonly dossiers: DossierRepository,
  ) {}

  /** Every archived dossier, in the export's order. */
  dossierIds(): Promise<string[]> {
    return this.reader.archivedIds();
  }

  /** One NDJSON line (with its newline) per archived dossier. */
  async *lines(dossierIds: readonly string[]): AsyncGenerator<string> {
    for (const id of dossierIds) {
      const line = exportLine(await this.dossiers.load(id));
      if (line) yield `${canonicalJson(line)}\n`;
    }
  }
}
