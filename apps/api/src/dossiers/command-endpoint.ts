import { randomUUID } from 'node:crypto';
import { HttpCode } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiPreconditionFailedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { deterministicUuid, type Role } from '@app/platform';
import { Roles } from '../auth/auth.decorators';
import { CountsAsCommand } from '../metrics/http-metrics';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import type { RequestWithContext } from '../http/request-context';
import { idempotencyKeyOf } from '../idempotency/idempotency.interceptor';
import type { CommandAccepted, CommandContext } from './command-context';
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

export function commandContext(request: AuthenticatedRequest): CommandContext {
  const key = idempotencyKeyOf(request);
  const actor = request.principal.subject;
  return {
    actor,
    correlationId: request.correlationId,
    commandId: key === undefined ? randomUUID() : deterministicUuid(`command/${actor}/${key}`),
    expectedVersion: parseIfMatch(request.header('if-match')),
  };
}

export const etag = (version: number) => `"${version}"`;

/** Sets the ETag of the version a command reached and answers with it. */
export function answerAccepted(response: Response, accepted: CommandAccepted): CommandAccepted {
  response.setHeader('ETag', etag(accepted.version));
  return accepted;
}

const COMMAND_DOCS = [
  ApiCreatedResponse({ type: CommandAcceptedDto, description: 'Recorded; ETag carries the new version' }),
  ApiNotFoundResponse({ description: 'No such dossier' }),
  ApiConflictResponse({ description: 'A business rule forbids it; `rule` names which' }),
  ApiPreconditionFailedResponse({ description: 'If-Match does not match the current version' }),
  ApiHeader({ name: 'If-Match', required: false, description: 'ETag of the version the change is based on' }),
  ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key and body: the first response again' }),
];

/**
 * A POST that records a command: 201 with `{dossierId, version}`, for staff and admins unless
 * told otherwise; counted in the metrics under the handler's name.
 */
export function CommandEndpoint(summary: string, roles: Role[] = ['staff', 'admin'], description?: string): MethodDecorator {
  return (target, key, descriptor) => {
    const decorators = [ApiOperation({ summary, description }), ...COMMAND_DOCS, Roles(...roles), HttpCode(201), CountsAsCommand(String(key))];
    for (const decorator of decorators) {
      decorator(target, key, descriptor);
    }
  };
}
