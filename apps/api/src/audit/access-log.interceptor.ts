import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AccessLog, type AuditedRequest } from './access-log';

export const SHOWS_PERSONAL_DATA = 'audit:shows-personal-data';

/** Which dossiers a response shows, read from the body the route returns. */
export type DossiersShown = (body: unknown) => string[];

/**
 * Records every response of a route marked @ShowsPersonalData (which binds it) in the access log,
 * once the answer is known. The record is committed before the response leaves; if it cannot be
 * written, the personal data is not sent either. (A route that reads one dossier's stream records
 * it with the read instead, without this interceptor: AccessLog.shownWithRead; so does a page of
 * the registry: AccessLog.shownWithPage.)
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
    return from(
      (async () => {
        const body = await lastValueFrom(next.handle());
        await this.accessLog.record(request, purpose, dossiersShown(body));
        return body;
      })(),
    );
  }
}
