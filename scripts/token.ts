/**
 * Prints a bearer token that this installation's embedded default accepts:
 *   npm run -s token -- --role staff [--role auditor] [--sub alice] [--expires-in 3600]
 * Reads the same settings as the service (AUTH_DEV_SECRET or the secret in DATA_DIR, AUTH_ISSUER,
 * AUTH_AUDIENCE), so run it with the same environment. Refuses when AUTH_JWKS_URL is set: tokens
 * then come from the identity provider.
 */
import { parseArgs } from 'node:util';
import { devTokenForCommandLine, loadConfig } from '../libs/platform/src';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      'expires-in': { type: 'string' },
    },
  });
  const token = await devTokenForCommandLine(loadConfig(), {
    roles: values.role ?? [],
    subject: values.sub,
    expiresInSeconds: values['expires-in'] === undefined ? undefined : Number(values['expires-in']),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
