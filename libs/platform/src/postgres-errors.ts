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
