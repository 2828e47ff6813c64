import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** /dashboard: the analysts' dashboard, its assets and settings. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
