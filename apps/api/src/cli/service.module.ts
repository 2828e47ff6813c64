import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DossiersModule } from '@app/dossiers';
import { ReadModelsModule } from '@app/read-models';
import { ArchiveModule } from '../archive/archive.module';
import { AuditModule } from '../audit/audit.module';
import { RuntimeModule, type AppRuntime } from '../runtime.module';

/**
 * What the command line's commands run on, without HTTP: the runtime, the command bus and the
 * write side (seed, import), the read models' engine (projections list and rebuild), the archive's
 * runs, purge and export, and the access log the export is recorded in.
 */
@Module({})
export class CliServiceModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    return {
      module: CliServiceModule,
      imports: [RuntimeModule.forRoot(runtime), CqrsModule.forRoot(), DossiersModule, ReadModelsModule, ArchiveModule, AuditModule],
    };
  }
}
