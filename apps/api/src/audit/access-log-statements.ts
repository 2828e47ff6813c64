import type { StatementWithRead } from '@app/event-store';
import type { AccessLogEntry } from '@app/persistence';
import type { StatementWithPage } from '@app/read-models';
import { timeOrderedUuid } from '@app/platform';

/** What an auditor asks of the access log (GET /audit/access-log): all optional but the page. */
export interface AccessLogQuestion {
  readonly dossierId?: string;
  readonly actor?: string;
  readonly from?: string;
  readonly to?: string;
  readonly page: number;
  readonly pageSize: number;
}

export interface Statement {
  readonly sql: string;
  readonly parameters: unknown[];
}

/**
 * The page (newest first) and the total of an auditor's question, as SQL. A dossier's records are
 * found through the GIN index of dossier ids (`dossier_ids @> ARRAY[id]`; `id = ANY(dossier_ids)`,
 * which this was until 2026-12-05, is nothing that index answers, and every such question read the
 * whole log), then sorted: the subquery (kept apart by OFFSET 0) lets PostgreSQL pick its way to
 * the records by the filters alone, which otherwise, unable to tell how few records name one
 * dossier, walks the whole log newest first to fill a page (docs/auditing.md).
 */
export function accessLogStatements(question: AccessLogQuestion): { page: Statement; count: Statement } {
  const parameters: unknown[] = [];
  const conditions: string[] = [];
  const condition = (sql: (parameter: string) => string, value: unknown) => conditions.push(sql(`$${parameters.push(value)}`));
  if (question.dossierId) condition((p) => `dossier_ids @> ARRAY[${p}::uuid]`, question.dossierId.toLowerCase());
  if (question.actor) condition((p) => `actor = ${p}`, question.actor);
  if (question.from) condition((p) => `at >= ${p}`, new Date(question.from));
  if (question.to) condition((p) => `at < ${p}`, new Date(question.to));
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  const entries = question.dossierId ? `(SELECT * FROM access_log${where} OFFSET 0) entry` : `access_log entry${where}`;
  const next = parameters.length;
  return {
    page: {
      sql: `SELECT ${COLUMNS} FROM ${entries} ORDER BY at DESC, id DESC LIMIT $${next + 1} OFFSET $${next + 2}`,
      parameters: [...parameters, question.pageSize, (question.page - 1) * question.pageSize],
    },
    count: { sql: `SELECT count(*)::int AS total FROM ${entries}`, parameters },
  };
}

const COLUMNS = 'id, at, actor, roles, method, path, purpose, dossier_ids, correlation_id';

/** What an access-log record says; its id and moment are given when it is written. */
export type AccessEntry = Omit<AccessLogEntry, 'id' | 'at'>;

/** The record as one plain statement (AccessLog.recordAccess). */
export function recordStatement(entry: AccessEntry): Statement {
  return { sql: `INSERT INTO access_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, parameters: parametersOf(entry) };
}

/**
 * The record as a statement to write with the read of a dossier's stream, in the same statement
 * and transaction (StatementWithRead: a row only when the stream exists). What every dossier read
 * sends (AccessLog.shownWithRead); the bench times it alone as the read's ceiling.
 */
export function recordWithReadStatement(entry: AccessEntry): StatementWithRead {
  return {
    sql:
      `INSERT INTO access_log (${COLUMNS}) ` +
      'SELECT $1::uuid, $2::timestamptz, $3::text, $4::text[], $5::text, $6::text, $7::text, $8::uuid[], $9::text FROM stream_found',
    parameters: parametersOf(entry),
  };
}

/**
 * The record of a page of the registry as a statement to write with the page's read, in the same
 * statement and transaction (StatementWithPage): the dossiers shown are the page's own rows, in
 * its order, none for an empty page. What every page of GET /dossiers sends (AccessLog.shownWithPage).
 */
export function recordWithPageStatement(entry: Omit<AccessEntry, 'dossierIds'>): StatementWithPage {
  const [id, at, actor, roles, method, path, purpose, , correlationId] = parametersOf({ ...entry, dossierIds: [] });
  return {
    sql: (p, order) =>
      `INSERT INTO access_log (${COLUMNS}) ` +
      `SELECT ${p(1)}::uuid, ${p(2)}::timestamptz, ${p(3)}::text, ${p(4)}::text[], ${p(5)}::text, ${p(6)}::text, ${p(7)}::text, ` +
      `coalesce(array_agg(dossier_id ORDER BY ${order}), '{}'::uuid[]), ${p(8)}::text FROM page_shown`,
    parameters: [id, at, actor, roles, method, path, purpose, correlationId],
  };
}

const parametersOf = (entry: AccessEntry): unknown[] => [
  // Time-ordered: the access log grows at the end of its primary key too (timeOrderedUuid).
  timeOrderedUuid(),
  new Date(),
  entry.actor,
  entry.roles,
  entry.method,
  entry.path,
  entry.purpose,
  entry.dossierIds,
  entry.correlationId,
];

/** One record as the auditors' page shows it. */
export interface AccessLogRecord {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly roles: string[];
  readonly method: string;
  readonly path: string;
  readonly purpose: string | null;
  readonly dossierIds: string[];
  readonly correlationId: string;
}

/** A row of the page statement (accessLogStatements). */
export interface AccessLogRow {
  id: string;
  at: Date;
  actor: string;
  roles: string[];
  method: string;
  path: string;
  purpose: string | null;
  dossier_ids: string[];
  correlation_id: string;
}

export const recordOf = (row: AccessLogRow): AccessLogRecord => ({
  id: row.id,
  at: row.at.toISOString(),
  actor: row.actor,
  roles: row.roles,
  method: row.method,
  path: row.path,
  purpose: row.purpose,
  dossierIds: row.dossier_ids,
  correlationId: row.correlation_id,
});
