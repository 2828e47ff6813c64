import { Client, type ClientConfig } from 'pg';
import type { PersonalDataProtection } from './personal-data-protection';

/** The channel every erased key is announced on (migrations/1733529600090-…). */
export const KEY_ERASED_CHANNEL = 'personal_data_key_erased';
const RETRY_MS = 1_000;

/**
 * Hears, on a connection of its own, of every personal-data key erased in the database, by any
 * process of the installation (LISTEN personal_data_key_erased), and has the process's
 * PersonalDataProtection drop that key at once. While it is not listening (before start, after
 * the connection is lost, until it is back) the protection keeps no keys at all: an erasure it
 * did not hear of cannot leave a key behind.
 */
export class ErasedKeyListener {
  private client?: Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly connection: ClientConfig,
    private readonly protection: PersonalDataProtection,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** Listens (or, when the database cannot be reached, keeps trying in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.protection.hearsErasures(false);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new Client(this.connection);
    client.on('notification', (notice) => {
      if (notice.channel === KEY_ERASED_CHANNEL && notice.payload) this.protection.keyErased(notice.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_ERASED_CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.protection.hearsErasures(true);
  }

  private lost(client: Client): void {
    if (this.client !== undefined && this.client !== client) return;
    this.client = undefined;
    this.protection.hearsErasures(false);
    client.end().catch(() => undefined);
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) void this.listen();
    }, this.retryMs);
    this.retry.unref();
  }
}
