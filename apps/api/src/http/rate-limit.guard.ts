import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * RATE_LIMIT_PER_MINUTE per user: requests are counted by token subject once authenticated (the
 * guard runs after AuthGuard), by address otherwise, so colleagues behind one proxy do not share
 * a budget.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const subject = (request.principal as { subject?: string } | undefined)?.subject;
    return subject ? `user:${subject}` : `address:${String(request.ip)}`;
  }
}
