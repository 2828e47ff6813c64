import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models';
import { AuditModule } from '../audit/audit.module';
import { RegistryController } from './registry.controller';

/** GET /dossiers and the municipality summary, from the CRT registry read model. */
@Module({ imports: [ReadModelsModule, AuditModule], controllers: [RegistryController] })
export class RegistryModule {}
