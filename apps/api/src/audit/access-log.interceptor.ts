import { randomUUID } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { AccessLogEntry } from '@app/persistence';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import type { RequestWithContext } from '../http/request-context';
import { SHOWS_PERSONAL_DATA, type DossiersShown } from './shows-personal-data.decorator';

export const PURPOSE_HEADER = 'x-purpose';
const PURPOSE_FORMAT = /^[^\x00-\x1f\x7f]{1,500}$/;

/**
 * Records every response that shows personal data: who, when, which dossiers, and the stated
 * purpose. The record is committed before the response leaves; if it cannot be written, the
 * personal data is not sent either.
 */
@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const dossiersShown = this.reflector.get<DossiersShown | undefined>(SHOWS_PERSONAL_DATA, context.getHandler());
    if (!dossiersShown) return next.handle();
    const request = context.switchToHttp().getRequest<RequestWithContext & { principal: Principal }>();
    const purpose = request.header(PURPOSE_HEADER);
    if (purpose !== undefined && !PURPOSE_FORMAT.test(purpose)) {
      throw problem(400, 'invalid-purpose', 'Invalid X-Purpose', 'X-Purpose must be 1 to 500 printable characters.');
    }
    if (purpose === undefined && request.principal.roles.includes('auditor')) {
      throw problem(400, 'purpose-required', 'Purpose required', 'Auditors must state why they look at personal data in the X-Purpose header.');
    }
    return from(
      (async () => {
        const body = await lastValueFrom(next.handle());
        await this.dataSource.getRepository(AccessLogEntry).insert({
          id: randomUUID(),
          at: new Date(),
          actor: request.principal.subject,
          roles: [...request.principal.roles],
          method: request.method,
          path: request.path,
          purpose: purpose ?? null,
          dossierIds: dossiersShown(body),
          correlationId: request.correlationId,
        });
        return body;
      })(),
    );
  }
}
