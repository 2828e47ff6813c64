import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
    await this.recordAccess({
      actor: request.principal.subject,
      roles: [...request.principal.roles],
      method: request.method,
      path: request.path,
      purpose,
      dossierIds,
      correlationId: request.correlationId,
    });
  }

  /** The same for access outside HTTP (the command line): `method` says how, `path` what. */
  async recordAccess(entry: Omit<AccessLogEntry, 'id' | 'at'>): Promise<void> {
    // One plain statement: every answer with personal data waits for it, and TypeORM's insert
    // builder costs more CPU per request than the round trip itself.
    await this.dataSource.query(
      `INSERT INTO access_log (id, at, actor, roles, method, path, purpose, dossier_ids, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [randomUUID(), new Date(), entry.actor, entry.roles, entry.method, entry.path, entry.purpose, entry.dossierIds, entry.correlationId],
    );
  }
}
