import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { problem, type ProblemError } from '../http/problem';
import type { Principal } from './principal';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

/** Who sent a request, or why that cannot be told (the 401 to answer). */
export type Authentication = { readonly principal: Principal } | { readonly refusal: ProblemError };

const AUTHENTICATION = Symbol('authentication');
type MemoisedRequest = Request & { [AUTHENTICATION]?: Promise<Authentication> };

/**
 * Reads and verifies a request's bearer token, once per request: the rate limit asks first
 * (whose budget to count against: the user's, or the address's when there is no valid token),
 * then the AuthGuard (whether to let it in).
 */
@Injectable()
export class Authenticator {
  constructor(private readonly verifier: TokenVerifier) {}

  authenticate(request: Request): Promise<Authentication> {
    const memo = request as MemoisedRequest;
    return (memo[AUTHENTICATION] ??= this.verify(request));
  }

  private async verify(request: Request): Promise<Authentication> {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      return { refusal: problem(401, 'unauthenticated', 'Authentication required', 'Send a bearer token in the Authorization header.') };
    }
    try {
      return { principal: await this.verifier.verify(token) };
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        return { refusal: problem(401, 'invalid-token', 'Invalid token', `Authentication failed: ${error.message}.`, { reason: error.reason }) };
      }
      throw error;
    }
  }
}
