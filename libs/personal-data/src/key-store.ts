import type { QueryWithRead } from '@app/event-store';
import { isUuid } from '@app/platform';
import { KeyUnwrapError, MasterKey, newDossierKey } from './master-key';

/** Runs SQL: a TypeORM DataSource's query, or a projection batch's, inside its transaction. */
export type SqlQuery = (sql: string, parameters?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** public.personal_data_keys (migrations/): one row per dossier with personal data. */
export const PERSONAL_DATA_KEYS_TABLE = 'personal_data_keys';

/**
 * A dossier's key as the table holds it: usable, destroyed by an erasure, or there but not
 * unwrapping (another master key, an altered row), with the error that says so.
 */
export type DossierKey =
  | { readonly state: 'active'; readonly key: Buffer }
  | { readonly state: 'erased'; readonly erasedAt: Date }
  | { readonly state: 'unusable'; readonly error: Error };

/** An encrypted personal block whose dossier has no key row: lost data, never shown as erased. */
export class MissingPersonalDataKeyError extends Error {
  override readonly name = 'MissingPersonalDataKeyError';
  constructor(readonly dossierId: string) {
    super(
      `Dossier ${dossierId} has encrypted personal data but no row in ${PERSONAL_DATA_KEYS_TABLE}: the key was lost ` +
        '(a restore of the database older than the event store?). Its personal data cannot be read.',
    );
  }
}

/** Encrypting for a dossier whose key was destroyed: its personal data is gone for good. */
export class PersonalDataKeyErasedError extends Error {
  override readonly name = 'PersonalDataKeyErasedError';
  constructor(readonly dossierId: string) {
    super(`The personal-data key of dossier ${dossierId} was destroyed; nothing can be encrypted for it any more.`);
  }
}

/**
 * The per-dossier keys, wrapped under the master key, in PostgreSQL. Every method works through
 * the `query` it is given, so it runs on the service's data source and inside a projection's
 * transaction alike. Nothing is cached here: a key is read, unwrapped, used and dropped. (The
 * dossier reads of PersonalDataProtection keep keys, under the rule revealDossier states.)
 */
export class PersonalDataKeys {
  constructor(private readonly master: MasterKey) {}

  /**
   * The dossier's key, created on first use. Idempotent: a registration retried after a crash
   * finds the key its first run created.
   */
  async ensure(query: SqlQuery, dossierId: string): Promise<Buffer> {
    await query(
      `INSERT INTO ${PERSONAL_DATA_KEYS_TABLE} (dossier_id, wrapped_key) VALUES ($1, $2) ON CONFLICT (dossier_id) DO NOTHING`,
      [dossierId, this.master.wrap(newDossierKey(), dossierId)],
    );
    const key = (await this.lookup(query, [dossierId])).get(dossierId.toLowerCase());
    if (!key) throw new MissingPersonalDataKeyError(dossierId);
    if (key.state === 'erased') throw new PersonalDataKeyErasedError(dossierId);
    if (key.state === 'unusable') throw key.error;
    return key.key;
  }

  /**
   * One query for many dossiers; a dossier without a row is absent from the map. Ids in lower
   * case. A key that does not unwrap is 'unusable' for its dossier alone.
   */
  async lookup(query: SqlQuery, dossierIds: readonly string[]): Promise<Map<string, DossierKey>> {
    // The column is a uuid: an id of another shape can have no key.
    const ids = [...new Set(dossierIds.filter((id) => isUuid(id)).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return new Map();
    return this.keysOf(
      await query(`SELECT dossier_id::text AS dossier_id, wrapped_key, erased_at FROM ${PERSONAL_DATA_KEYS_TABLE} WHERE dossier_id = ANY($1::uuid[])`, [ids]),
    );
  }

  /**
   * lookup() of one dossier as a query to read in the statement of its stream's read
   * (QueryWithRead), its rows to hand to keysReadAlongside; none for an id that can have no key.
   */
  queryAlongside(dossierId: string): QueryWithRead | undefined {
    if (!isUuid(dossierId)) return undefined;
    return {
      // JSON carries the wrapped key as base64.
      sql: (parameter) =>
        `SELECT dossier_id::text AS dossier_id, encode(wrapped_key, 'base64') AS wrapped_key, erased_at FROM ${PERSONAL_DATA_KEYS_TABLE} WHERE dossier_id = ${parameter(1)}::uuid`,
      parameters: [dossierId.toLowerCase()],
    };
  }

  /** The keys of queryAlongside's rows, as lookup() gives them. */
  keysReadAlongside(rows: ReadonlyArray<Record<string, unknown>>): Map<string, DossierKey> {
    return this.keysOf(rows.map((row) => ({ ...row, wrapped_key: typeof row.wrapped_key === 'string' ? Buffer.from(row.wrapped_key, 'base64') : null })));
  }

  private keysOf(rows: ReadonlyArray<Record<string, unknown>>): Map<string, DossierKey> {
    const keys = new Map<string, DossierKey>();
    for (const row of rows) {
      const dossierId = row.dossier_id as string;
      keys.set(dossierId, row.erased_at !== null ? { state: 'erased', erasedAt: new Date(row.erased_at as string | Date) } : this.unwrapped(row.wrapped_key as Buffer, dossierId));
    }
    return keys;
  }

  private unwrapped(wrapped: Buffer, dossierId: string): DossierKey {
    try {
      return { state: 'active', key: this.master.unwrap(wrapped, dossierId) };
    } catch (error) {
      if (!(error instanceof KeyUnwrapError)) throw error;
      return { state: 'unusable', error };
    }
  }

  /**
   * Destroys the dossier's key: the wrapped key is overwritten with NULL and the moment kept.
   * Idempotent. A dossier without a row (registered before encryption, its personal data stored
   * in plain) gets an erased row, so its readers show it erased too.
   */
  async destroy(query: SqlQuery, dossierId: string): Promise<void> {
    await query(
      `INSERT INTO ${PERSONAL_DATA_KEYS_TABLE} AS k (dossier_id, wrapped_key, erased_at) VALUES ($1, NULL, now())
       ON CONFLICT (dossier_id) DO UPDATE SET wrapped_key = NULL, erased_at = now() WHERE k.erased_at IS NULL`,
      [dossierId],
    );
  }
}
