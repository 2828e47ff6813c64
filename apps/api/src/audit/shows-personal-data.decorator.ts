import { SetMetadata } from '@nestjs/common';

export const SHOWS_PERSONAL_DATA = 'audit:shows-personal-data';

/** Which dossiers a response shows, read from the body the route returns. */
export type DossiersShown = (body: unknown) => string[];

/**
 * The route answers with personal data: every response is recorded in the access log (before it
 * is sent), and auditors must say why in X-Purpose.
 */
export const ShowsPersonalData = (dossiersShown: DossiersShown) => SetMetadata(SHOWS_PERSONAL_DATA, dossiersShown);

/** For routes that answer with one dossier (`{ dossierId, … }`). */
export const oneDossier: DossiersShown = (body) => [(body as { dossierId: string }).dossierId];
