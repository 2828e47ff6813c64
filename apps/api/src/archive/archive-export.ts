import { canonicalJson } from '@app/platform';
import type { LoadedDossier } from '../dossiers/dossier-repository';
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
