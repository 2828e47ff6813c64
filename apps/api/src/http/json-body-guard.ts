import type { NextFunction, Request, Response } from 'express';
import { problem } from './problem';

/** Deeper than any request of this API; deep nesting only serves to exhaust recursive parsers. */
export const MAX_JSON_DEPTH = 32;

/**
 * Walks a parsed body without recursion. Refuses bodies nested deeper than MAX_JSON_DEPTH, and
 * keys that name Object.prototype members (`__proto__`, `constructor`, `toString`, …): the
 * validation layer drops such keys silently instead of reporting them as unknown fields.
 */
export function jsonBodyGuard(request: Request, _response: Response, next: NextFunction): void {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: request.body, path: '', depth: 0 }];
  const forbidden: string[] = [];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      next(problem(400, 'bad-request', 'Bad request', `The body is nested deeper than ${MAX_JSON_DEPTH} levels.`));
      return;
    }
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && (key === '__proto__' || key in Object.prototype)) forbidden.push(child);
      pending.push({ value: (value as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
  if (forbidden.length > 0) {
    next(
      problem(400, 'validation-failed', 'Invalid request', 'One or more fields are invalid; see errors.', {
        errors: forbidden.map((field) => ({ field, messages: [`property ${field.split('.').pop()} should not exist`] })),
      }),
    );
    return;
  }
  next();
}
