import { DOSSIER_STREAM_PREFIX, dossierIdOf, type PersonalData } from '@app/domain';
import type { QueryWithRead, RecordedEvent } from '@app/event-store';
import { configuredOrGeneratedSecret, KeptValues, type AppConfig } from '@app/platform';
import { ERASED_PERSONAL_DATA, isEnvelope, openPersonalData, sealPersonalData, type PersonalDataEnvelope } from './envelope';
import { MissingPersonalDataKeyError, PersonalDataKeys, type DossierKey, type SqlQuery } from './key-store';
import { MasterKey } from './master-key';

const REGISTRATION = 'DossierRegistered';
const ERASURE = 'PersonalDataErased';
/** Keys kept for dossier reads by default: 32 bytes each, about 2 MiB with the map's own cost. */
export const DEFAULT_CACHED_DOSSIER_KEYS = 10_000;
/**
 * How long a dossier read keeps a key at most. Another instance's erasure reaches this process
 * sooner (ErasedKeyListener); this bounds how long a key stays in memory in any case.
 */
export const KEPT_DOSSIER_KEY_MS = 5 * 60_000;

const carriesPersonalData = (event: RecordedEvent): boolean =>
  event.type === REGISTRATION &&
  event.streamId.startsWith(DOSSIER_STREAM_PREFIX) &&
  typeof event.data.personal === 'object' &&
  event.data.personal !== null;

export interface PersonalDataProtectionOptions {
  /**
   * An encrypted block whose dossier has no key row: 'error' (the default, and the only right
   * answer for a service whose events and keys belong together: the key was lost), or 'erased'
   * for a log that several installations share, each with its own keys (the test suites' one
   * EventStoreDB): there another installation's dossiers read as erased.
   */
  readonly withoutKey?: 'error' | 'erased';
  /** Unwrapped keys kept for dossier reads (revealDossier); 0 keeps none. */
  readonly cachedKeys?: number;
}

/**
 * The read of one dossier's key to make in the statement of its stream's read, for
 * revealDossier (PersonalDataProtection.dossierKeyRead): one statement fewer on a first read.
 */
export class DossierKeyRead {
  constructor(
    readonly dossierId: string,
    readonly query: QueryWithRead,
    /** The protection's erasure generation when the read was asked for: a key read then is kept only if it did not move. */
    readonly generation: number,
  ) {}
}

/** lookAhead()'s answer as reveal() takes it back (the projection engine's PersonalDataAhead). */
type Ahead = { readonly events: readonly RecordedEvent[] };

/** The keys a batch's reveal() needs, read ahead of it; kept only as long as the batch waits for its fold. */
class KeysAhead implements Ahead {
  constructor(
    readonly events: readonly RecordedEvent[],
    readonly keys: ReadonlyMap<string, DossierKey> | undefined,
  ) {}
}

/**
 * Encryption of personal data at the edge of the event store: the domain sees PersonalData, the
 * store an envelope under the dossier's key. Implements the projections' PersonalDataReader
 * (libs/projection-engine/src/personal-data.ts) and serves the dossier repository.
 */
export class PersonalDataProtection {
  private readonly cache: KeptValues<Buffer>;
  /**
   * Keys are kept only while this process hears of every erasure (ErasedKeyListener says so),
   * and only when no erasure was heard of, and hearing did not stop or start, between reading a
   * key row and keeping its key: a key read before an erasure and kept after its notice would
   * otherwise stay.
   */
  private hearing = false;
  private generation = 0;

  constructor(
    private readonly keys: PersonalDataKeys,
    private readonly options: PersonalDataProtectionOptions = {},
  ) {
    this.cache = new KeptValues<Buffer>(options.cachedKeys ?? DEFAULT_CACHED_DOSSIER_KEYS, KEPT_DOSSIER_KEY_MS);
  }

  /** On the service's configuration: PERSONAL_DATA_KEY, or the secret generated once into DATA_DIR. */
  static fromConfig(config: Pick<AppConfig, 'personalDataKey' | 'dataDir'>, options?: PersonalDataProtectionOptions): PersonalDataProtection {
    const secret = configuredOrGeneratedSecret(config.personalDataKey, config.dataDir, 'personal-data-key');
    return PersonalDataProtection.withMasterSecret(secret, options);
  }

  static withMasterSecret(secret: Uint8Array, options?: PersonalDataProtectionOptions): PersonalDataProtection {
    return new PersonalDataProtection(new PersonalDataKeys(MasterKey.derive(secret)), options);
  }

  /** The stored form of a registration's personal block; creates the dossier's key on first use. */
  async protect(query: SqlQuery, dossierId: string, personal: PersonalData): Promise<PersonalDataEnvelope> {
    return sealPersonalData(personal, await this.keys.ensure(query, dossierId), dossierId);
  }

  /**
   * Stored dossier events made readable: each registration's personal block decrypted, or every
   * field ERASED once its dossier's key was destroyed. One key lookup for the whole batch. A
   * block stored in plain (written before encryption, or by hand) passes through unless its
   * dossier was erased; an encrypted block whose dossier has no key row is an error (lost key),
   * as are a key that does not unwrap and an envelope that does not decrypt. Such an error is
   * thrown, unless `onUnreadable` is given: then that event is handed to it and left out.
   */
  async reveal<E extends RecordedEvent>(
    events: readonly E[],
    query: SqlQuery,
    onUnreadable?: (event: E, error: unknown) => void,
    /** lookAhead()'s keys for these events: no query then. */
    ahead?: Ahead,
  ): Promise<E[]> {
    const keys = ahead instanceof KeysAhead && ahead.events === events ? ahead.keys : await this.keysOf(events, query);
    return keys ? this.readableEvents(events, keys, onUnreadable) : [...events];
  }

  /** reveal()'s keys for these events, looked up now (PersonalDataReader.lookAhead). */
  async lookAhead(events: readonly RecordedEvent[], query: SqlQuery): Promise<Ahead> {
    return new KeysAhead(events, await this.keysOf(events, query));
  }

  /** The keys of the events' registrations' dossiers, in one lookup; undefined when none carries personal data. */
  private async keysOf(events: readonly RecordedEvent[], query: SqlQuery): Promise<ReadonlyMap<string, DossierKey> | undefined> {
    const dossierIds: string[] = [];
    for (const event of events) if (carriesPersonalData(event)) dossierIds.push(dossierIdOf(event.streamId));
    return dossierIds.length === 0 ? undefined : this.keys.lookup(query, dossierIds);
  }

  /**
   * reveal() for one dossier's whole stream, as the write side loads it, with the dossier's key
   * kept once unwrapped: read again, the dossier costs no key query. Safe against erasure
   * because an erasure records PersonalDataErased in the stream before it destroys the key
   * (docs/erasure.md): a stream that records one never uses a kept key (the key row is read,
   * and shows the key destroyed once the erasure is complete), and a stream read before the
   * erasure was recorded is a read from before it, on every instance. Besides, a key is kept only
   * while the process hears of every erasure (hearsErasures), and dropped when it hears of its own
   * (keyErased, erase()), so that no process holds a destroyed key longer than the notice takes.
   */
  async revealDossier<E extends RecordedEvent>(
    events: readonly E[],
    query: SqlQuery,
    onUnreadable?: (event: E, error: unknown) => void,
    /** The rows of dossierKeyRead's query, read with the stream: its key needs no query of its own. */
    readAlongside?: { readonly read: DossierKeyRead; readonly rows: ReadonlyArray<Record<string, unknown>> },
  ): Promise<E[]> {
    const registrations = events.filter(carriesPersonalData);
    if (registrations.length === 0) return [...events];
    const dossierIds = [...new Set(registrations.map((event) => dossierIdOf(event.streamId).toLowerCase()))];
    if (events.some((event) => event.type === ERASURE)) {
      for (const dossierId of dossierIds) this.cache.drop(dossierId);
      return this.reveal(events, query, onUnreadable);
    }
    const keys = new Map<string, DossierKey>();
    for (const dossierId of dossierIds) {
      const key = this.cache.get(dossierId);
      if (key) keys.set(dossierId, { state: 'active', key });
    }
    const missing = dossierIds.filter((dossierId) => !keys.has(dossierId));
    if (missing.length > 0) {
      const alongside = readAlongside && missing.every((dossierId) => dossierId === readAlongside.read.dossierId) ? readAlongside : undefined;
      const generation = alongside?.read.generation ?? this.generation;
      const found = alongside ? this.keys.keysReadAlongside(alongside.rows) : await this.keys.lookup(query, missing);
      for (const [dossierId, key] of found) {
        keys.set(dossierId, key);
        if (key.state === 'active' && this.hearing && generation === this.generation) this.cache.set(dossierId, key.key);
      }
    }
    return this.readableEvents(events, keys, onUnreadable);
  }

  /**
   * The read of the dossier's key that revealDossier will need, to make with its stream's read
   * (QueryWithRead); none while the key is kept here.
   */
  dossierKeyRead(dossierId: string): DossierKeyRead | undefined {
    const id = dossierId.toLowerCase();
    if (this.cache.get(id) !== undefined) return undefined;
    const query = this.keys.queryAlongside(id);
    return query && new DossierKeyRead(id, query, this.generation);
  }

  private readableEvents<E extends RecordedEvent>(events: readonly E[], keys: ReadonlyMap<string, DossierKey>, onUnreadable?: (event: E, error: unknown) => void): E[] {
    // A loop, not flatMap: a projection's batch is thousands of events, and an array for each was garbage at once.
    const readable: E[] = [];
    for (const event of events) {
      if (!carriesPersonalData(event)) {
        readable.push(event);
        continue;
      }
      try {
        readable.push({ ...event, data: { ...event.data, personal: this.readable(event, keys) } });
      } catch (error) {
        if (!onUnreadable) throw error;
        onUnreadable(event, error);
      }
    }
    return readable;
  }

  /**
   * This process hears of every key erased from now on (`true`: keys may be kept), or may have
   * missed some (`false`: every kept key is dropped, and none is kept until it hears again).
   */
  hearsErasures(hearing: boolean): void {
    this.generation++;
    this.hearing = hearing;
    if (!hearing) this.cache.clear();
  }

  /** Another process (or this one) erased the dossier's key: it is dropped here. */
  keyErased(dossierId: string): void {
    this.generation++;
    this.cache.drop(dossierId.toLowerCase());
  }

  /** Destroys the dossier's key (idempotent): its personal data reads ERASED from now on, everywhere. */
  async erase(query: SqlQuery, dossierId: string): Promise<void> {
    this.keyErased(dossierId);
    await this.keys.destroy(query, dossierId);
    this.keyErased(dossierId);
  }

  private readable(event: RecordedEvent, keys: ReadonlyMap<string, DossierKey>): PersonalData {
    const dossierId = dossierIdOf(event.streamId);
    const personal = event.data.personal;
    const key = keys.get(dossierId.toLowerCase());
    if (key?.state === 'erased') return { ...ERASED_PERSONAL_DATA };
    if (key?.state === 'unusable') throw key.error;
    if (!isEnvelope(personal)) return personal as PersonalData;
    if (!key) {
      if (this.options.withoutKey === 'erased') return { ...ERASED_PERSONAL_DATA };
      throw new MissingPersonalDataKeyError(dossierId);
    }
    return openPersonalData(personal, key.key, dossierId);
  }
}
