import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { StatementWithRead } from '@app/event-store';
import { AccessLogEntry } from '@app/persistence';
import type { Principal } from '../auth/principal';
import { problem } from '../http/problem';
import type { RequestWithContext } from '../http/request-context';

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

  /** The same for access outside HTTP (the command line): `method` says how, `path` what. */
  async recordAccess(entry: AccessEntry): Promise<void> {
    // One plain statement: every answer with personal data waits for it, and TypeORM's insert
    // builder costs more CPU per request than the round trip itself.
    await this.dataSource.query(`INSERT INTO access_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, parametersOf(entry));
  }
}

type AccessEntry = Omit<AccessLogEntry, 'id' | 'at'>;

const COLUMNS = 'id, at, actor, roles, method, path, purpose, dossier_ids, correlation_id';

const parametersOf = (entry: AccessEntry): unknown[] => [
  randomUUID(),
  new Date(),
  entry.actor,
  entry.roles,
  entry.method,
  entry.path,
  entry.purpose,
  entry.dossierIds,
  entry.correlationId,
];

const entryOf = (request: AuditedRequest, purpose: string | null, dossierIds: string[]): AccessEntry => ({
  actor: request.principal.subject,
  roles: [...request.principal.roles],
  method: request.method,
  path: request.path,
  purpose,
  dossierIds,
  correlationId: request.correlationId,
});

/**
 * The access-log record of a request whose personal data a route reads, as AccessLogInterceptor
 * leaves it on the request: a route that reads one dossier's stream has it written with the read
 * itself, in the same statement and transaction where the store allows it (withRead), and the
 * interceptor writes it only if that did not happen.
 */
export class PendingAccessRecord {
  private writtenFor?: readonly string[];

  constructor(
    private readonly request: AuditedRequest,
    private readonly purpose: string | null,
  ) {}

  /** The record of these dossiers as a statement to write with the read (StatementWithRead). */
  statementFor(dossierIds: string[]): StatementWithRead {
    return {
      sql:
        `INSERT INTO access_log (${COLUMNS}) ` +
        'SELECT $1::uuid, $2::timestamptz, $3::text, $4::text[], $5::text, $6::text, $7::text, $8::uuid[], $9::text FROM stream_found',
      parameters: parametersOf(entryOf(this.request, this.purpose, dossierIds)),
    };
  }

  /** The statement for these dossiers was written with the read (which found the dossier). */
  written(dossierIds: string[]): void {
    this.writtenFor = dossierIds;
  }

  /** Whether the record of exactly these dossiers is written already. */
  isWrittenFor(dossierIds: readonly string[]): boolean {
    return this.writtenFor !== undefined && this.writtenFor.length === dossierIds.length && this.writtenFor.every((id, i) => id === dossierIds[i]);
  }
}

const PENDING = Symbol('pending access record');
type WithPendingRecord = AuditedRequest & { [PENDING]?: PendingAccessRecord };

export function setPendingRecord(request: AuditedRequest, record: PendingAccessRecord): void {
  (request as WithPendingRecord)[PENDING] = record;
}

/** The pending record of a route marked @ShowsPersonalData (undefined on any other route). */
export function pendingRecordOf(request: AuditedRequest): PendingAccessRecord | undefined {
  return (request as WithPendingRecord)[PENDING];
}
