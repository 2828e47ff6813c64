import { randomUUID } from 'node:crypto';
import { HttpCode } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiPreconditionFailedResponse,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { deterministicUuid, type Role } from '@app/platform';
import { Roles } from '../auth/auth.decorators';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CountsAsCommand } from '../observability/metrics/http-metrics';
import type { Principal } from '../auth/principal';
import { RESPONSE_HEADERS } from '../http/openapi';
import { problem } from '../http/problem';
import type { RequestWithContext } from '../http/request-context';
import { idempotencyKeyOf, pendingAnswerOf } from '../idempotency/idempotency.interceptor';
import type { CommandAccepted, CommandContext } from '@app/dossiers';
import { CommandAcceptedDto } from './dossier.dto';

/** What every command endpoint shares: the command context from the request, ETag, OpenAPI. */

export type AuthenticatedRequest = RequestWithContext & { principal: Principal };

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  if (!match) {
    throw problem(400, 'invalid-if-match', 'Invalid If-Match', 'If-Match must be the ETag of the dossier, e.g. "3".');
  }
  return Number(match[1]);
}

/**
 * The command's context from the request. The answer kept for its Idempotency-Key is written
 * with its append, unless `settledByAppend` is false: a command that does more after its append
 * (an erasure) answers only once that is done, and a retry must run it again.
 */
export function commandContext(
  request: AuthenticatedRequest,
  { located = false, settledByAppend = true }: { readonly located?: boolean; readonly settledByAppend?: boolean } = {},
): CommandContext {
  const key = idempotencyKeyOf(request);
  const actor = request.principal.subject;
  const pending = settledByAppend ? pendingAnswerOf(request) : undefined;
  return {
    actor,
    correlationId: request.correlationId,
    commandId: key === undefined ? randomUUID() : deterministicUuid(`command/${actor}/${key}`),
    expectedVersion: parseIfMatch(request.header('if-match')),
    ...(pending && { answerKeptWithAppend: pending.commandAnswer((dossierId) => (located ? dossierLocation(dossierId) : undefined)) }),
  };
}

/** Where a registered dossier is read: the Location of a registration's answer. */
export const dossierLocation = (dossierId: string) => `/dossiers/${dossierId}`;

export const etag = (version: number) => `"${version}"`;

/** Sets the ETag of the version a command reached and answers with it. */
export function answerAccepted(response: Response, accepted: CommandAccepted): CommandAccepted {
  response.setHeader('ETag', etag(accepted.version));
  return accepted;
}

// Idempotency-Key, 401, 403 and 429 are documented for every authenticated POST (http/openapi.ts).
const COMMAND_DOCS = [
  ApiCreatedResponse({ type: CommandAcceptedDto, description: 'Recorded; ETag carries the new version', headers: { ETag: RESPONSE_HEADERS.ETag } }),
  ApiBadRequestResponse({ description: 'A field is missing or invalid (validation-failed, `errors` lists each), or If-Match is not an ETag (invalid-if-match)' }),
  ApiNotFoundResponse({ description: 'No such dossier (dossier-not-found)' }),
  ApiConflictResponse({ description: 'A business rule forbids it; `rule` names which (docs/errors.md). Or an event of the dossier cannot be read as stored (dossier-unreadable)' }),
  ApiPreconditionFailedResponse({ description: 'If-Match names another version than the current one (version-mismatch, with currentVersion)' }),
  ApiServiceUnavailableResponse({ description: 'The event store cannot be reached; nothing was recorded (event-store-unavailable)' }),
  ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'The ETag of the version the change is based on, e.g. "3": 412 when the dossier has moved on. Without it, a concurrent change ' +
      'is retried on fresh state up to COMMAND_RETRIES times.',
    schema: { type: 'string', example: '"3"' },
  }),
];

/**
 * A POST that records a command: 201 with `{dossierId, version}`, for staff and admins unless
 * told otherwise; counted in the metrics under the handler's name; an Idempotency-Key taken.
 */
export function CommandEndpoint(summary: string, roles: Role[] = ['staff', 'admin'], description?: string): MethodDecorator {
  return (target, key, descriptor) => {
    // Counted as a command before the Idempotency-Key is checked, so a refused key counts as rejected.
    const decorators = [ApiOperation({ summary, description }), ...COMMAND_DOCS, Roles(...roles), HttpCode(201), CountsAsCommand(String(key)), Idempotent()];
    for (const decorator of decorators) {
      decorator(target, key, descriptor);
    }
  };
}
