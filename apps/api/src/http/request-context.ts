import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const CORRELATION_ID_HEADER = 'X-Correlation-Id';
const CORRELATION_FORMAT = /^[\x21-\x7e]{1,128}$/;

export type RequestWithContext = Request & { correlationId: string };

/** Takes the caller's correlation id (or makes one) and returns it on every response, errors included. */
export function correlationIdMiddleware(request: Request, response: Response, next: NextFunction): void {
  const offered = request.header(CORRELATION_ID_HEADER);
  const correlationId = offered && CORRELATION_FORMAT.test(offered) ? offered : randomUUID();
  (request as RequestWithContext).correlationId = correlationId;
  response.setHeader(CORRELATION_ID_HEADER, correlationId);
  next();
}
