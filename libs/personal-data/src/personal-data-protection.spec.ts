import { randomBytes, randomUUID } from 'node:crypto';
import { ERASED, type PersonalData } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { openMigratedDatabase } from '@app/testing';
import { isEnvelope } from './envelope';
import { MissingPersonalDataKeyError, PersonalDataKeyErasedError, type SqlQuery } from './key-store';
import { PERSONAL_DATA_MIGRATIONS } from './migrations';
import { KeyUnwrapError } from './master-key';
import { PersonalDataProtection, type DossierKeyRead } from './personal-data-protection';
import { ErasedKeyListener } from './erased-key-listener';

const personalOf = (event: RecordedEvent) => event.data.personal as PersonalData;

describe('PersonalDataProtection on PostgreSQL (personal_data_keys)', () => {
  let database: Awaited<ReturnType<typeof openMigratedDatabase>>;
  let query: SqlQuery;
  let statements: string[];
  const secret = randomBytes(48);
  const protection = PersonalDataProtection.withMasterSecret(secret);

  beforeAll(async () => {
    database = await openMigratedDatabase(PERSONAL_DATA_MIGRATIONS);
  });
  beforeEach(() => {
    statements = [];
    query = (sql, parameters) => {
      statements.push(sql);
      return database.dataSource.query(sql, parameters);
    };
  });
  afterAll(async () => {
    await database?.close();
  });

  /** A registration as the repository stores it: the personal block sealed under the dossier's key. */
  async function storedRegistration(dossierId = randomUUID()): Promise<{ dossierId: string; plain: RecordedEvent; stored: RecordedEvent }> {
    const plain = recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24'));
    const envelope = await protection.protect(query, dossierId, personalOf(plain));
    return { dossierId, plain, stored: { ...plain, data: { ...plain.data, personal: envelope } } };
  }

  const keyRow = async (dossierId: string) =>
    (await database.dataSource.query('SELECT wrapped_key, erased_at FROM personal_data_keys WHERE dossier_id = $1', [dossierId]))[0] as
      | { wrapped_key: Buffer | null; erased_at: Date | null }
      | undefined;

  it('stores the personal block as an envelope and reveals it again with the dossier key', async () => {
    const { dossierId, plain, stored } = await storedRegistration();
    expect(isEnvelope(stored.data.personal)).toBe(true);
    expect(JSON.stringify(stored.data)).not.toContain('Kovalenko');
    expect((await keyRow(dossierId))?.wrapped_key).toHaveLength(61);
    const [revealed] = await protection.reveal([stored], query);
    expect(revealed).toEqual(plain);
  });

  it('creates the key once: a retried registration seals under the same key', async () => {
    const { dossierId, plain, stored } = await storedRegistration();
    const before = await keyRow(dossierId);
    const again = await protection.protect(query, dossierId, personalOf(plain));
    expect(await keyRow(dossierId)).toEqual(before);
    const [revealed] = await protection.reveal([{ ...stored, data: { ...stored.data, personal: again } }], query);
    expect(personalOf(revealed).familyName).toBe('Kovalenko');
  });

  it('looks up the keys of a whole batch in one query, and none for a batch without registrations', async () => {
    const batch = await Promise.all([storedRegistration(), storedRegistration(), storedRegistration()]);
    const housed = recordedDossierEvent(batch[0].dossierId, 2, {
      type: 'PersonHoused',
      data: { housingType: 'collective', municipality: '11002', on: '2022-04-01' },
    });
    statements = [];
    const revealed = await protection.reveal([...batch.map((b) => b.stored), housed], query);
    expect(statements).toHaveLength(1);
    expect(revealed.map((event) => event.data)).toEqual([...batch.map((b) => b.plain.data), housed.data]);
    statements = [];
    expect(await protection.reveal([housed], query)).toEqual([housed]);
    expect(statements).toHaveLength(0);
  });

  it('reveals a batch with the keys looked up ahead of it (lookAhead) without a query, and looks up for a batch they were not read for', async () => {
    const batch = await Promise.all([storedRegistration(), storedRegistration()]);
    const events = batch.map((b) => b.stored);
    statements = [];
    const ahead = await protection.lookAhead(events, query);
    expect(statements).toHaveLength(1);
    statements = [];
    expect(await protection.reveal(events, query, undefined, ahead)).toEqual(batch.map((b) => b.plain));
    expect(statements).toHaveLength(0);
    // Another batch (even of the same events) is not covered by them: its dossiers' keys are looked up.
    const other = await storedRegistration();
    statements = [];
    expect(await protection.reveal([...events, other.stored], query, undefined, ahead)).toEqual([...batch.map((b) => b.plain), other.plain]);
    expect(statements).toHaveLength(1);
  });

  it('reads every personal field as ERASED once the key is destroyed; erasing again changes nothing', async () => {
    const { dossierId, plain, stored } = await storedRegistration();
    await protection.erase(query, dossierId);
    const row = await keyRow(dossierId);
    expect(row).toEqual({ wrapped_key: null, erased_at: expect.any(Date) });
    await protection.erase(query, dossierId);
    expect(await keyRow(dossierId)).toEqual(row);
    const [revealed] = await protection.reveal([stored], query);
    expect(personalOf(revealed)).toEqual({
      givenName: ERASED,
      familyName: ERASED,
      birthDate: ERASED,
      nationalRegisterNumber: ERASED,
      attestationNumber: ERASED,
    });
    // The rest of the registration stays readable.
    expect(revealed.data.municipality).toBe('11002');
    await expect(protection.protect(query, dossierId, personalOf(plain))).rejects.toThrow(PersonalDataKeyErasedError);
  });

  /**
   * Whether the reader keeps the key of the stored registration's dossier, as it shows: revealing
   * the dossier reads no key row. (A reader that does not keep it reads the row, and keeps the key
   * from then on only where it would for any read: while it hears of every erasure.)
   */
  const keepsKeyOf = async (reader: PersonalDataProtection, stored: RecordedEvent) => {
    let keyReads = 0;
    await reader.revealDossier([stored], (sql, parameters) => {
      keyReads++;
      return database.dataSource.query(sql, parameters);
    });
    return keyReads === 0;
  };

  /** A reader as the service has one: it hears of every erasure (ErasedKeyListener), so it keeps keys. */
  const hearingReader = () => {
    const reader = PersonalDataProtection.withMasterSecret(secret);
    reader.hearsErasures(true);
    return reader;
  };

  it('keeps a dossier key for its dossier reads: read again, no key query; a stream that records an erasure reads the key row', async () => {
    const { dossierId, plain, stored } = await storedRegistration();
    const reader = hearingReader();
    expect(await reader.revealDossier([stored], query)).toEqual([plain]);
    statements = [];
    expect(await reader.revealDossier([stored], query)).toEqual([plain]);
    expect(statements).toHaveLength(0);

    // Another instance erases: the event first, then the key. This reader still holds the key,
    // but the stream it reads now records the erasure, so the key row decides.
    const erasure = recordedDossierEvent(dossierId, 2, { type: 'PersonalDataErased', data: { on: '2024-01-02', reason: 'request of the person' } });
    await PersonalDataProtection.withMasterSecret(secret).erase(query, dossierId);
    const [revealed] = await reader.revealDossier([stored, erasure], query);
    expect(personalOf(revealed).familyName).toBe(ERASED);
    expect(statements.length).toBeGreaterThan(0);
  });

  it('drops a kept key when it erases it itself', async () => {
    const { dossierId, stored } = await storedRegistration();
    const reader = hearingReader();
    await reader.revealDossier([stored], query);
    expect(await keepsKeyOf(reader, stored)).toBe(true);
    await reader.erase(query, dossierId);
    expect(await keepsKeyOf(reader, stored)).toBe(false);
    const [revealed] = await reader.revealDossier([stored], query);
    expect(personalOf(revealed).familyName).toBe(ERASED);
  });

  it('keeps no key while it may miss an erasure: before it hears of them, and from when it stops (dropping what it kept)', async () => {
    const { plain, stored } = await storedRegistration();
    const reader = PersonalDataProtection.withMasterSecret(secret);
    expect(await reader.revealDossier([stored], query)).toEqual([plain]);
    expect(await keepsKeyOf(reader, stored)).toBe(false);
    reader.hearsErasures(true);
    await reader.revealDossier([stored], query);
    expect(await keepsKeyOf(reader, stored)).toBe(true);
    reader.hearsErasures(false);
    expect(await keepsKeyOf(reader, stored)).toBe(false);
  });

  it('does not keep a key read before an erasure it hears of while the read is on its way', async () => {
    const { dossierId, stored } = await storedRegistration();
    const reader = hearingReader();
    // The key row is read, then the notice of its erasure arrives before the answer is used.
    const slowQuery: SqlQuery = async (sql, parameters) => {
      const rows = await query(sql, parameters);
      reader.keyErased(dossierId);
      return rows;
    };
    await reader.revealDossier([stored], slowQuery);
    expect(await keepsKeyOf(reader, stored)).toBe(false);
  });

  describe('the key read with the stream (dossierKeyRead, the rows readStreamWith brings back)', () => {
    /** The read as the PostgreSQL store makes it in the stream's statement: its rows come back through JSON. */
    const readAlongside = async (read: DossierKeyRead) => ({
      read,
      rows: JSON.parse(JSON.stringify(await database.dataSource.query(read.query.sql((n) => `$${n}`), [...read.query.parameters]))) as Array<Record<string, unknown>>,
    });

    it('reveals with it and keeps it, with no key query of its own; once kept, there is nothing to read', async () => {
      const { dossierId, plain, stored } = await storedRegistration();
      const reader = hearingReader();
      const alongside = await readAlongside(reader.dossierKeyRead(dossierId.toUpperCase())!);
      statements = [];
      expect(await reader.revealDossier([stored], query, undefined, alongside)).toEqual([plain]);
      expect(statements).toHaveLength(0);
      expect(await keepsKeyOf(reader, stored)).toBe(true);
      expect(reader.dossierKeyRead(dossierId)).toBeUndefined();
      expect(reader.dossierKeyRead('not-a-dossier-id')).toBeUndefined();
    });

    it('shows an erased key erased, and does not keep a key read before an erasure heard of since', async () => {
      const erased = await storedRegistration();
      const reader = hearingReader();
      await PersonalDataProtection.withMasterSecret(secret).erase(query, erased.dossierId);
      const [revealed] = await reader.revealDossier([erased.stored], query, undefined, await readAlongside(reader.dossierKeyRead(erased.dossierId)!));
      expect(personalOf(revealed).familyName).toBe(ERASED);

      const { dossierId, plain, stored } = await storedRegistration();
      const alongside = await readAlongside(reader.dossierKeyRead(dossierId)!);
      reader.keyErased(dossierId);
      expect(await reader.revealDossier([stored], query, undefined, alongside)).toEqual([plain]);
      expect(await keepsKeyOf(reader, stored)).toBe(false);
    });
  });

  describe('two instances on one database, each hearing of erasures (ErasedKeyListener)', () => {
    const within = async (condition: () => Promise<boolean>, ms = 5_000) => {
      const deadline = Date.now() + ms;
      while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      return condition();
    };

    it("drops a key on every instance when one instance erases it, and every kept key when its notices may be lost", async () => {
      const [first, second] = [PersonalDataProtection.withMasterSecret(secret), PersonalDataProtection.withMasterSecret(secret)];
      const listeners = [new ErasedKeyListener({ connectionString: database.url }, first, 50), new ErasedKeyListener({ connectionString: database.url }, second, 50)];
      try {
        await Promise.all(listeners.map((listener) => listener.start()));
        const erased = await storedRegistration();
        const other = await storedRegistration();
        for (const instance of [first, second]) {
          await instance.revealDossier([erased.stored], query);
          await instance.revealDossier([other.stored], query);
          expect((await keepsKeyOf(instance, erased.stored)) && (await keepsKeyOf(instance, other.stored))).toBe(true);
        }

        await first.erase(query, erased.dossierId);
        expect(await within(async () => !(await keepsKeyOf(second, erased.stored)))).toBe(true);
        expect(await keepsKeyOf(second, other.stored)).toBe(true);
        // Erased by hand (another process, a completion of the erasure): heard of all the same.
        await database.dataSource.query(`UPDATE personal_data_keys SET wrapped_key = NULL, erased_at = now() WHERE dossier_id = $1`, [other.dossierId]);
        expect(await within(async () => !(await keepsKeyOf(first, other.stored)) && !(await keepsKeyOf(second, other.stored)))).toBe(true);

        // The listeners' connections are cut (a restart of PostgreSQL, a network fault): an instance drops every key it
        // kept and keeps none until it listens again.
        const again = await storedRegistration();
        await second.revealDossier([again.stored], query);
        expect(await keepsKeyOf(second, again.stored)).toBe(true);
        await database.dataSource.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
          ['LISTEN personal_data_key_erased'],
        );
        expect(await within(async () => !(await keepsKeyOf(second, again.stored)))).toBe(true);
        // Back once it listens again (retried every 50 ms here): a read keeps the key again.
        expect(await within(() => keepsKeyOf(second, again.stored))).toBe(true);
      } finally {
        await Promise.all(listeners.map((listener) => listener.stop()));
      }
    });
  });

  it('passes a block stored in plain (before encryption) through, and shows it erased after an erasure', async () => {
    const dossierId = randomUUID();
    const legacy = recordedDossierEvent(dossierId, 1, registered(dossierId, '11002', '2022-03-24'));
    expect(await protection.reveal([legacy], query)).toEqual([legacy]);
    await protection.erase(query, dossierId);
    const [revealed] = await protection.reveal([legacy], query);
    expect(personalOf(revealed).givenName).toBe(ERASED);
  });

  it('refuses to show an encrypted block whose key row is missing: lost, not erased', async () => {
    const { stored } = await storedRegistration();
    const elsewhere = randomUUID();
    const moved = { ...stored, streamId: `dossier-${elsewhere}` };
    await expect(protection.reveal([moved], query)).rejects.toThrow(MissingPersonalDataKeyError);
  });

  it("on a log shared with other installations, reads their dossiers (no key here) as erased when told to", async () => {
    const { stored } = await storedRegistration();
    const shared = PersonalDataProtection.withMasterSecret(randomBytes(48), { withoutKey: 'erased' });
    const foreign = { ...stored, streamId: `dossier-${randomUUID()}` };
    const [revealed] = await shared.reveal([foreign], query);
    expect(personalOf(revealed).familyName).toBe(ERASED);
  });

  it('refuses keys wrapped under another master secret', async () => {
    const { stored } = await storedRegistration();
    const other = PersonalDataProtection.withMasterSecret(randomBytes(48));
    await expect(other.reveal([stored], query)).rejects.toThrow(KeyUnwrapError);
  });

  it('keeps an erased key erased and never deletes a row (trigger)', async () => {
    const { dossierId } = await storedRegistration();
    await expect(database.dataSource.query('DELETE FROM personal_data_keys WHERE dossier_id = $1', [dossierId])).rejects.toThrow(/never deleted/);
    await protection.erase(query, dossierId);
    await expect(
      database.dataSource.query(`UPDATE personal_data_keys SET wrapped_key = '\\x00'::bytea, erased_at = NULL WHERE dossier_id = $1`, [dossierId]),
    ).rejects.toThrow(/stays erased/);
  });
});
