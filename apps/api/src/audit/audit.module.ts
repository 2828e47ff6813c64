import { Module } from '@nestjs/common';
import { AccessLog } from './access-log';
import { AccessLogController } from './access-log.controller';

/** The access log: who was shown which dossiers' personal data (recorded by AccessLogInterceptor or AccessLog.shownWithRead), and GET /audit/access-log. */
@Module({ controllers: [AccessLogController], providers: [AccessLog], exports: [AccessLog] })
export class AuditModule {}
