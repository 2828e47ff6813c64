import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { AnswerKeptWithAppend } from '@app/dossiers';
import { canonicalJson } from '@app/platform';
import type { Principal } from '../auth/principal';
import { problem, ProblemError, toProblem, type Problem } from '../http/problem';
import { IdempotencyStore, keptCommandAnswer, type KeptAnswer } from './idempotency.store';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
/** Response headers a replay must repeat. */
const REPLAYED_HEADERS = ['etag', 'location'];

export function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.header(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY_FORMAT.test(key)) {
    throw problem(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
  }
  return key;
}

/**
 * A POST with an Idempotency-Key: the first request runs and its response (success or client
 * error) is kept in the database; the same key with the same request gets that response again
 * and changes nothing; the same key with another request gets 422. Bound to every authenticated
 * POST route with @Idempotent() (test/idempotency.e2e.spec.ts checks that none is missed), not to
 * every route: an interceptor on every route costs every request (bench/README.md).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const response = context.switchToHttp().getResponse<Response>();
    if (!request.principal) return next.handle();
    const key = idempotencyKeyOf(request);
    if (key === undefined) return next.handle();
    return from(this.run(request.principal.subject, key, request, response, next));
  }

  private async run(actor: string, key: string, request: Request, response: Response, next: CallHandler): Promise<unknown> {
    const fingerprint = createHash('sha256')
      .update(canonicalJson([request.method, request.path, request.body ?? null]))
      .digest('hex');
    const claim = await this.store.claim(actor, key, fingerprint);
    switch (claim.kind) {
      case 'mismatch':
        throw problem(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was used for a different request; use a new key.');
      case 'in-progress':
        response.setHeader('Retry-After', '1');
        throw problem(409, 'request-in-progress', 'Request in progress', 'A request with this Idempotency-Key is still being processed; retry shortly.');
      case 'completed':
        for (const [name, value] of Object.entries(claim.headers)) response.setHeader(name, value);
        response.setHeader('Idempotent-Replayed', 'true');
        // Nest sends a handler's result with the route's own status; a kept error goes through the filter.
        if (claim.status >= 400) throw new ProblemError(claim.body as Problem);
        return claim.body;
    }
    const pending = new PendingAnswer(this.store, actor, key);
    setPendingAnswer(request, pending);
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const headers = Object.fromEntries(
        REPLAYED_HEADERS.flatMap((name) => {
          const value = response.getHeader(name);
          return value === undefined ? [] : [[name, String(value)]];
        }),
      );
      const answer = { status: response.statusCode, headers, body };
      if (!pending.isWrittenAs(answer)) await this.store.complete(actor, key, answer.status, answer.headers, answer.body);
      return body;
    } catch (error) {
      const outcome = toProblem(error);
      if (outcome.status < 500) {
        await this.store.complete(actor, key, outcome.status, {}, outcome);
      } else {
        await this.store.release(actor, key).catch(() => undefined);
      }
      throw error;
    }
  }
}

/** The POST route takes an Idempotency-Key (IdempotencyInterceptor); its module imports IdempotencyModule. */
export const Idempotent = () => UseInterceptors(IdempotencyInterceptor);

/**
 * The answer to keep for a request with an Idempotency-Key, as the interceptor leaves it on the
 * request: a command endpoint has it written with its append (commandContext), one statement for
 * both where the store allows it; the interceptor writes it itself unless exactly the answer it
 * got was written so.
 */
export class PendingAnswer {
  private writtenAs?: string;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly actor: string,
    private readonly key: string,
  ) {}

  /** A command endpoint's answer (keptCommandAnswer), with the dossier's Location when `located`, written with the append. */
  commandAnswer(located: (dossierId: string) => string | undefined): AnswerKeptWithAppend {
    return {
      statementFor: (dossierId) => this.store.commandAnswerWithAppend(this.actor, this.key, dossierId, located(dossierId)),
      written: ({ dossierId, version }) => {
        this.writtenAs = canonicalJson(keptCommandAnswer(dossierId, version, located(dossierId)));
      },
    };
  }

  isWrittenAs(answer: KeptAnswer): boolean {
    return this.writtenAs !== undefined && this.writtenAs === canonicalJson(answer);
  }
}

const PENDING = Symbol('pending answer');
type WithPendingAnswer = Request & { [PENDING]?: PendingAnswer };

function setPendingAnswer(request: Request, answer: PendingAnswer): void {
  (request as WithPendingAnswer)[PENDING] = answer;
}

/** The pending answer of a request with an Idempotency-Key that is run (undefined otherwise). */
export function pendingAnswerOf(request: Request): PendingAnswer | undefined {
  return (request as WithPendingAnswer)[PENDING];
}
