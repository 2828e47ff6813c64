import { HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { DossierNotFoundError, DossierRuleViolation } from '@app/domain';
import { DossierUnreadableError, NationalRegisterNumberTakenError, VersionMismatchError } from '@app/dossiers';
import { EventStoreUnavailableError, UnstorableEventError, WrongExpectedVersionError } from '@app/event-store';

/** An RFC 9457 problem document. `type` is a path under /problems, documented in docs/errors.md. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An error that already knows the problem it stands for. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export function problem(status: number, slug: string, title: string, detail?: string, extensions: Record<string, unknown> = {}): ProblemError {
  return new ProblemError({ type: `/problems/${slug}`, title, status, ...(detail ? { detail } : {}), ...extensions });
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  429: ['too-many-requests', 'Too many requests'],
  503: ['service-unavailable', 'Service unavailable'],
};

/** Nest's answer to a request no route takes (its "Cannot GET /path"), as opposed to a 404 a route gives. */
export function isNoSuchRoute(error: unknown): boolean {
  if (!(error instanceof NotFoundException)) return false;
  const response = error.getResponse();
  const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  return typeof message === 'string' && message.startsWith('Cannot ');
}

/**
 * Turns anything thrown while serving a request into the problem the client sees: the domain's and
 * the write side's errors (libs/domain, libs/dossiers) are mapped here, and nowhere below. Unknown errors
 * become a bare 500: their message may hold internals or personal data.
 */
export function toProblem(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  if (error instanceof DossierRuleViolation) {
    // The rule's own members first: one named like a member of the problem cannot replace it.
    return {
      ...(error.extra ?? {}),
      type: `/problems/${error.rule}`,
      title: 'Business rule violated',
      status: HttpStatus.CONFLICT,
      rule: error.rule,
      detail: error.detail,
    };
  }
  if (error instanceof DossierNotFoundError) {
    return { type: '/problems/dossier-not-found', title: 'Dossier not found', status: 404, detail: error.message };
  }
  if (error instanceof NationalRegisterNumberTakenError) {
    return {
      type: '/problems/national-register-number-taken',
      title: 'Business rule violated',
      status: HttpStatus.CONFLICT,
      detail: error.message,
      rule: 'national-register-number-taken',
      existingDossierId: error.holder,
      existingDossier: `/dossiers/${error.holder}`,
    };
  }
  if (error instanceof DossierUnreadableError) {
    // Not the request's fault, yet not a fault without a name: the dossier's history as stored
    // does not read, and every request on it is refused alike until it is restored.
    const { dossierId, version } = error;
    return { type: '/problems/dossier-unreadable', title: 'Dossier unreadable', status: HttpStatus.CONFLICT, detail: error.message, dossierId, version, verify: `/dossiers/${dossierId}/verify` };
  }
  if (error instanceof VersionMismatchError) {
    const { dossierId, expectedVersion, currentVersion } = error;
    return { type: '/problems/version-mismatch', title: 'Precondition failed', status: HttpStatus.PRECONDITION_FAILED, detail: error.message, dossierId, expectedVersion, currentVersion };
  }
  if (error instanceof WrongExpectedVersionError) {
    return {
      type: '/problems/concurrent-modification',
      title: 'Concurrent modification',
      status: HttpStatus.CONFLICT,
      rule: 'concurrent-modification',
      detail: 'The dossier kept changing while this command was retried; read it again and resend.',
    };
  }
  if (error instanceof UnstorableEventError) {
    // Validation refuses such text first; this keeps a value it missed from ever reaching the store.
    return {
      type: '/problems/validation-failed',
      title: 'Invalid request',
      status: HttpStatus.BAD_REQUEST,
      detail: 'A field holds text that cannot be stored (U+0000 or an unpaired surrogate); nothing was recorded.',
    };
  }
  if (error instanceof EventStoreUnavailableError) {
    return {
      type: '/problems/event-store-unavailable',
      title: 'Event store unavailable',
      status: HttpStatus.SERVICE_UNAVAILABLE,
      detail:
        'The event store cannot be reached right now: nothing was recorded, or it did not confirm in time. Retry later with the same Idempotency-Key; a command is never recorded twice.',
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const [slug, title] = TITLES[status] ?? ['http-error', HttpStatus[status] ?? 'Error'];
    const response = error.getResponse();
    const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    // Nest's "Cannot GET /path?query" would echo the query string, which may hold personal data.
    const detail = isNoSuchRoute(error) ? 'No such route.' : message;
    return { type: `/problems/${slug}`, title, status, ...(typeof detail === 'string' ? { detail } : {}) };
  }
  const expressError = error as { status?: number; statusCode?: number; type?: string; expose?: boolean } | null;
  const status = expressError?.status ?? expressError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [slug, title] = TITLES[status] ?? ['bad-request', 'Bad request'];
    const detail =
      expressError?.type === 'entity.parse.failed'
        ? 'The body is not valid JSON.'
        : expressError?.type === 'entity.too.large'
          ? 'The body is larger than this service accepts.'
          : undefined;
    return { type: `/problems/${slug}`, title, status, ...(detail ? { detail } : {}) };
  }
  return {
    type: '/problems/internal-error',
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side; it has been logged.',
  };
}
