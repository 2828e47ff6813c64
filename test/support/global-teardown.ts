import type { EmbeddedPostgresHandle } from '../../libs/platform/src/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __embeddedPostgres?: EmbeddedPostgresHandle }).__embeddedPostgres?.stop();
}
