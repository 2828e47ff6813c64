import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ThrottlerModule } from '@nestjs/throttler';
import { ArchiveModule } from './archive/archive.module';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DossiersHttpModule } from './dossiers/dossiers-http.module';
import { ProblemFilter } from './http/problem.filter';
import { RateLimitGuard } from './http/rate-limit.guard';
import { IdempotencyRetentionModule } from './idempotency/idempotency.module';
import { ObservabilityModule } from './observability/observability.module';
import { ProblemsModule } from './problems/problems.module';
import { ProjectionsModule } from './projections/projections.module';
import { RegistryModule } from './registry/registry.module';
import { RuntimeModule, type AppRuntime } from './runtime.module';
import { StatisticsModule } from './statistics/statistics.module';

/**
 * The HTTP service: the runtime, one feature module per folder, and the request pipeline every
 * route shares (guards and the problem filter, in the order they run). Interceptors are bound to
 * the routes that need them (@CountsAsCommand, @Idempotent, @ShowsPersonalData; a read of one
 * dossier has none, @ShowsDossierReadHere): one on every route would cost every request its rxjs
 * and async-hook wrapping (bench/README.md).
 */
@Module({})
export class AppModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot(runtime),
        CqrsModule.forRoot(),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: runtime.config.rateLimitPerMinute }],
          skipIf: () => runtime.config.rateLimitPerMinute === 0,
          errorMessage: `More than ${runtime.config.rateLimitPerMinute} requests in a minute; wait the Retry-After seconds and try again.`,
        }),
        AuthModule,
        IdempotencyRetentionModule,
        // The features, in the order their routes are registered and listed in the OpenAPI document.
        AuditModule,
        ArchiveModule,
        DashboardModule,
        DossiersHttpModule,
        ObservabilityModule,
        ProblemsModule,
        ProjectionsModule,
        RegistryModule,
        StatisticsModule,
      ],
      providers: [
        // In this order: the rate limit counts requests that authentication then refuses.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
