import { Module } from '@nestjs/common';
import { DossiersModule } from '@app/dossiers';
import { AuditModule } from '../audit/audit.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { DossiersController } from './dossiers.controller';
import { ErasureController } from './erasure.controller';

/** /dossiers/{id}…: the commands, the dossier read from its events, its history, time travel, its hash chain, its erasure. */
@Module({ imports: [DossiersModule, AuditModule, IdempotencyModule], controllers: [DossiersController, ErasureController] })
export class DossiersHttpModule {}
