import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { StatementWithRead } from '@app/event-store';
import { rowsRead } from '@app/platform';
import type { StatementWithPage } from '@app/read-models';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import type { RequestWithContext } from '../http/request-context';
import {
  accessLogStatements,
  recordOf,
  recordStatement,
  recordWithPageStatement,
  recordWithReadStatement,
  type AccessEntry,
  type AccessLogQuestion,
  type AccessLogRecord,
  type AccessLogRow,
} from './access-log-statements';

export const PURPOSE_HEADER = 'x-purpose';
const PURPOSE_FORMAT = /^[^\x00-\x1f\x7f]{1,500}$/;

export type AuditedRequest = RequestWithContext & { principal: Principal };

/** The access log: who was shown which dossiers' personal data, when, and why. */
@Injectable()
export class AccessLog {
  constructor(private readonly dataSource: DataSource) {}

  /** The stated purpose (X-Purpose), checked before any personal data is read; auditors must give one. */
  purposeOf(request: AuditedRequest): string | null {
    const purpose = request.header(PURPOSE_HEADER);
    if (purpose !== undefined && !PURPOSE_FORMAT.test(purpose)) {
      throw problem(400, 'invalid-purpose', 'Invalid X-Purpose', 'X-Purpose must be 1 to 500 printable characters.');
    }
    if (purpose === undefined && request.principal.roles.includes('auditor')) {
      throw problem(400, 'purpose-required', 'Purpose required', 'Auditors must state why they look at personal data in the X-Purpose header.');
    }
    return purpose ?? null;
  }

  /** Commits the record; call it before the personal data leaves, so none leaves unrecorded. */
  async record(request: AuditedRequest, purpose: string | null, dossierIds: string[]): Promise<void> {
    await this.recordAccess(entryOf(request, purpose, dossierIds));
  }

  /**
   * What a route shows of dossiers it reads itself (one dossier's stream), with their access-log
   * record: the purpose checked before anything is read, the record written by `read` with the
   * read itself where the store allows it (`written`: in the same statement, PendingAccessRecord),
   * otherwise committed here right after the read; either way before the answer leaves. Such a
   * route needs no AccessLogInterceptor (@ShowsDossierReadHere): its cost on every request is
   * part of a dossier read's (bench/README.md).
   */
  async shownWithRead<T>(
    request: AuditedRequest,
    dossierIds: string[],
    read: (statement: StatementWithRead) => Promise<{ readonly shown: T; readonly written: boolean }>,
  ): Promise<T> {
    const purpose = this.purposeOf(request);
    const { shown, written } = await read(new PendingAccessRecord(request, purpose).statementFor(dossierIds));
    if (!written) await this.record(request, purpose, dossierIds);
    return shown;
  }

  /**
   * What a route shows of a page of dossiers it reads in one statement (the registry's list), with
   * its access-log record written by that statement: the purpose checked before anything is read,
   * the record of the page's rows committed with the read, before the answer leaves. One round trip
   * and one commit a page where the interceptor's record after the answer made two (bench/README.md).
   */
  async shownWithPage<T>(request: AuditedRequest, read: (statement: StatementWithPage) => Promise<T>): Promise<T> {
    return read(recordWithPageStatement(whoAsked(request, this.purposeOf(request))));
  }

  /** The records an auditor asks for, newest first, one page of them, and how many there are in all. */
  async page(question: AccessLogQuestion): Promise<{ items: AccessLogRecord[]; total: number }> {
    const { page, count } = accessLogStatements(question);
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query<AccessLogRow[]>(page.sql, page.parameters),
      this.dataSource.query<Array<{ total: number }>>(count.sql, count.parameters),
    ]);
    return { items: rows.map(recordOf), total };
  }

  /** The same for access outside HTTP (the command line): `method` says how, `path` what. */
  async recordAccess(entry: AccessEntry): Promise<void> {
    // One plain statement: every answer with personal data waits for it, and TypeORM's insert
    // builder costs more CPU per request than the round trip itself. pg's callback form (rowsRead):
    // through its promise form the whole request outlived two scavenges.
    const { sql, parameters } = recordStatement(entry);
    await rowsRead(this.dataSource, sql, parameters);
  }
}

/** Who asked, how and why: a record but for the dossiers shown. */
const whoAsked = (request: AuditedRequest, purpose: string | null): Omit<AccessEntry, 'dossierIds'> => ({
  actor: request.principal.subject,
  roles: [...request.principal.roles],
  method: request.method,
  path: request.path,
  purpose,
  correlationId: request.correlationId,
});

const entryOf = (request: AuditedRequest, purpose: string | null, dossierIds: string[]): AccessEntry => ({ ...whoAsked(request, purpose), dossierIds });

/**
 * The access-log record of a request whose personal data a route reads, as a statement to write
 * with the read itself, in the same statement and transaction where the store allows it
 * (AccessLog.shownWithRead).
 */
class PendingAccessRecord {
  constructor(
    private readonly request: AuditedRequest,
    private readonly purpose: string | null,
  ) {}

  /** The record of these dossiers as a statement to write with the read (StatementWithRead). */
  statementFor(dossierIds: string[]): StatementWithRead {
    return recordWithReadStatement(entryOf(this.request, this.purpose, dossierIds));
  }
}
