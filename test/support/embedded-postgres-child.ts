/**
 * A process that starts the embedded PostgreSQL on the directory given as its argument, as the
 * service does on the embedded default, and says so on stdout: `READY <url>`, or `FAILED
 * <message>` (and exits 1). Started by test/embedded-postgres-restart.spec.ts, which kills it.
 */
import { startEmbeddedPostgres } from '../../libs/platform/src/embedded-postgres';

startEmbeddedPostgres({ dataDir: process.argv[2], stopsOnSignals: false }).then(
  (server) => {
    process.stdout.write(`READY ${server.url}\n`);
    process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 60_000);
  },
  (error: unknown) => {
    process.stdout.write(`FAILED ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
