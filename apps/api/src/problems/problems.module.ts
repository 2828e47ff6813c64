import { Module } from '@nestjs/common';
import { ProblemsController } from './problems.controller';

/** /problems/{slug}: the page of each problem type, from docs/errors.md. */
@Module({ controllers: [ProblemsController] })
export class ProblemsModule {}
