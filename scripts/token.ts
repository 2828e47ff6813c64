/**
 * Prints a bearer token that this installation's embedded default accepts:
 *   npm run -s token -- --role staff [--role auditor] [--sub alice] [--expires-in 3600]
 * Reads the same settings as the service (AUTH_DEV_SECRET or the secret in DATA_DIR, AUTH_ISSUER,
 * AUTH_AUDIENCE), so run it with the same environment. Refuses when AUTH_JWKS_URL is set: tokens
 * then come from the identity provider.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../libs/platform/src/config';
import { ROLES, signDevToken, type Role } from '../libs/platform/src/dev-tokens';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      'expires-in': { type: 'string' },
    },
  });
  const roles = values.role ?? [];
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (roles.length === 0 || unknown.length > 0) {
    throw new Error(`--role must be one of ${ROLES.join(', ')} (repeatable)${unknown.length ? `; got ${unknown.join(', ')}` : ''}`);
  }
  const config = loadConfig();
  if (config.auth.jwksUrl) throw new Error('AUTH_JWKS_URL is set: get tokens from the identity provider');
  const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
  if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
    throw new Error('--expires-in must be a positive number of seconds');
  }
  const token = await signDevToken(config, {
    subject: values.sub ?? `dev-${roles[0]}`,
    roles: roles as Role[],
    expiresInSeconds: expiresIn,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
