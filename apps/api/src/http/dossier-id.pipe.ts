import type { PipeTransform } from '@nestjs/common';
import { problem } from './problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Dossier ids are UUIDs, stored in lower case; anything else cannot name a dossier. */
export const dossierIdPipe: PipeTransform<string, string> = {
  transform(value: string) {
    if (!UUID.test(value)) throw problem(404, 'dossier-not-found', 'Dossier not found', 'No dossier has this id.');
    return value.toLowerCase();
  },
};
