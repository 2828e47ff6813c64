import { Module } from '@nestjs/common';
import { IdempotencyStore } from './idempotency.store';
import { IdempotencyRetention } from './idempotency-retention';

/** Idempotency-Key on POST: the keys and their answers (used by IdempotencyInterceptor), removed after IDEMPOTENCY_RETENTION. */
@Module({ providers: [IdempotencyStore, IdempotencyRetention], exports: [IdempotencyStore] })
export class IdempotencyModule {}
