import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { Authenticator } from '../auth/authenticator';

/**
 * RATE_LIMIT_PER_MINUTE per user, counted before authorisation (the first global guard), so
 * requests without a valid token are limited too: a valid token's requests count against its
 * subject (colleagues behind one proxy do not share a budget), everything else, no token or a
 * bad one, against the address it came from.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const authentication = await this.authenticator.authenticate(request as unknown as Request);
    return 'principal' in authentication ? `user:${authentication.principal.subject}` : `address:${String(request.ip)}`;
  }
}
