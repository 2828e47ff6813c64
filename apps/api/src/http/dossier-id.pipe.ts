import type { PipeTransform } from '@nestjs/common';
import { isUuid } from '@app/platform';
import { problem } from './problem';

/** Dossier ids are UUIDs, stored in lower case; anything else cannot name a dossier. */
export const dossierIdPipe: PipeTransform<string, string> = {
  transform(value: string) {
    if (!isUuid(value)) throw problem(404, 'dossier-not-found', 'Dossier not found', 'No dossier has this id.');
    return value.toLowerCase();
  },
};
