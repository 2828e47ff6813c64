import { Module } from '@nestjs/common';
import { DossiersModule } from '@app/dossiers';
import { ReadModelsModule } from '@app/read-models';
import { AuditModule } from '../audit/audit.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { ArchiveController } from './archive.controller';
import { ArchiveExport } from './archive-export';
import { ArchiveRuns } from './archive-runs.service';

/** /archive: archive runs and the retention purge (commands on many dossiers), the archived dossiers, the export. */
@Module({
  imports: [DossiersModule, ReadModelsModule, AuditModule, IdempotencyModule],
  controllers: [ArchiveController],
  providers: [ArchiveRuns, ArchiveExport],
  exports: [ArchiveRuns, ArchiveExport],
})
export class ArchiveModule {}
