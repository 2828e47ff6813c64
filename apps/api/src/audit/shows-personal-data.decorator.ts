import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader } from '@nestjs/swagger';
import { AccessLogInterceptor, SHOWS_PERSONAL_DATA, type DossiersShown } from './access-log.interceptor';

/** OpenAPI of a route whose answers are recorded in the access log with the stated purpose. */
export const ApiPurpose = () =>
  applyDecorators(
    ApiHeader({
      name: 'X-Purpose',
      required: false,
      description:
        'Why personal data is looked at (1 to 500 printable characters), recorded in the access log with the answer; auditors must send it',
      schema: { type: 'string', maxLength: 500, example: 'complaint 2026-118' },
    }),
    ApiBadRequestResponse({ description: 'An auditor without X-Purpose (purpose-required), or an X-Purpose that is too long or has control characters (invalid-purpose)' }),
  );

/**
 * The route answers with personal data: every response is recorded in the access log (before it
 * is sent, by AccessLogInterceptor, bound to these routes only; their module imports AuditModule),
 * and auditors must say why in X-Purpose.
 */
export const ShowsPersonalData = (dossiersShown: DossiersShown) =>
  applyDecorators(SetMetadata(SHOWS_PERSONAL_DATA, dossiersShown), UseInterceptors(AccessLogInterceptor), ApiPurpose());

/** Metadata of @ShowsDossierReadHere: read by no interceptor, only by the spec that holds its routes to recording their reads. */
export const SHOWS_DOSSIER_READ_HERE = 'audit:shows-dossier-read-here';

/**
 * The route answers with the personal data of a dossier it reads itself through
 * AccessLog.shownWithRead, which checks the purpose and records the read with it: the same
 * record and the same X-Purpose rules as @ShowsPersonalData, without an interceptor on the route.
 * So nothing here records anything: the handler must read through shownWithRead, and
 * test/access-log.e2e.spec.ts calls every route marked so and fails for one that records no read.
 */
export const ShowsDossierReadHere = () => applyDecorators(SetMetadata(SHOWS_DOSSIER_READ_HERE, true), ApiPurpose());

/** For routes that answer with one dossier (`{ dossierId, … }`). */
export const oneDossier: DossiersShown = (body) => [(body as { dossierId: string }).dossierId];
