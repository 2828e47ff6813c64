import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AccessLog, PendingAccessRecord, setPendingRecord, type AuditedRequest } from './access-log';

export const SHOWS_PERSONAL_DATA = 'audit:shows-personal-data';

/** Which dossiers a response shows, read from the body the route returns. */
export type DossiersShown = (body: unknown) => string[];

/**
 * Records every response of a route marked @ShowsPersonalData (which binds it) in the access log. The record is
 * committed before the response leaves; if it cannot be written, the personal data is not sent
 * either. A route that reads one dossier's stream writes it with the read (PendingAccessRecord,
 * one statement on the PostgreSQL store); otherwise it is written here, once the answer is known.
 */
@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly accessLog: AccessLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const dossiersShown = this.reflector.get<DossiersShown | undefined>(SHOWS_PERSONAL_DATA, context.getHandler());
    if (!dossiersShown) return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    const purpose = this.accessLog.purposeOf(request);
    const pending = new PendingAccessRecord(request, purpose);
    setPendingRecord(request, pending);
    return from(
      (async () => {
        const body = await lastValueFrom(next.handle());
        const shown = dossiersShown(body);
        if (!pending.isWrittenFor(shown)) await this.accessLog.record(request, purpose, shown);
        return body;
      })(),
    );
  }
}
