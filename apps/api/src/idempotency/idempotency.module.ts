import { Module } from '@nestjs/common';
import { IdempotencyStore } from './idempotency.store';
import { IdempotencyRetention } from './idempotency-retention';

/**
 * Idempotency-Key on POST: the keys and their answers, used by IdempotencyInterceptor. Imported by
 * every feature module with @Idempotent() routes (the command line's too, which loads them).
 */
@Module({ providers: [IdempotencyStore], exports: [IdempotencyStore] })
export class IdempotencyModule {}

/** The keys removed after IDEMPOTENCY_RETENTION, by every API instance (not by the command line). */
@Module({ providers: [IdempotencyRetention] })
export class IdempotencyRetentionModule {}
