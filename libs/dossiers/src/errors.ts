/**
 * What the write side refuses besides the domain's rules (DossierRuleViolation,
 * DossierNotFoundError). Application errors, not HTTP ones: apps/api/src/http/problem.ts says
 * how each is answered.
 */

/** The national register number is registered: the dossier named holds it (409 national-register-number-taken). */
export class NationalRegisterNumberTakenError extends Error {
  override readonly name = 'NationalRegisterNumberTakenError';

  constructor(readonly holder: string) {
    super('A dossier with this national register number already exists.');
  }
}

/** The version the client based its change on (If-Match) is not the dossier's any more (412 version-mismatch). */
export class VersionMismatchError extends Error {
  override readonly name = 'VersionMismatchError';

  constructor(
    readonly dossierId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`The dossier is at version ${currentVersion}, not ${expectedVersion}; read it again.`);
  }
}

/**
 * An event of the dossier cannot be read as stored: its sealed personal block fails
 * authentication, or its data is no event of its type. Events are never written so by the
 * service, so the store was altered behind its back (409 dossier-unreadable; GET
 * /dossiers/{id}/verify names the first altered version). The message names no data.
 */
export class DossierUnreadableError extends Error {
  override readonly name = 'DossierUnreadableError';

  constructor(
    readonly dossierId: string,
    readonly version: number,
  ) {
    super(`Version ${version} of the dossier cannot be read as stored; nothing was read or changed. GET /dossiers/${dossierId}/verify checks it.`);
  }
}
