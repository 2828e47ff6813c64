const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * A failure to reach or stay connected to PostgreSQL (as opposed to an error in what was asked):
 * socket errors, SQLSTATE class 08 (connection exception), admin shutdown, cannot connect now.
 */
export function isPostgresConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (code !== undefined && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')) {
    return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    message,
  );
}

/**
 * What a log line may say about an error: its kind, and PostgreSQL's SQLSTATE where there is one.
 * Never its message, which can quote the data that failed (a date, a name in a constraint
 * violation), and logs carry no personal data.
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

/**
 * errorKind, and for a PostgreSQL error the names of what it was about (schema, table, column,
 * data type, constraint): enough to find a bug, and never the message or detail, which can
 * quote the row or value that failed.
 */
export function errorDescription(error: unknown): string {
  const kind = errorKind(error);
  if (!(error instanceof Error)) return kind;
  const names = error as { schema?: unknown; table?: unknown; column?: unknown; dataType?: unknown; constraint?: unknown };
  const part = (label: string, value: unknown) => (typeof value === 'string' && value !== '' ? `${label} ${value}` : undefined);
  const table = typeof names.table === 'string' ? [names.schema, names.table].filter((name) => typeof name === 'string').join('.') : undefined;
  const about = [part('table', table), part('column', names.column), part('type', names.dataType), part('constraint', names.constraint)].filter(Boolean);
  return about.length > 0 ? `${kind} (${about.join(', ')})` : kind;
}
