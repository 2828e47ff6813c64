import { SignJWT } from 'jose';
import type { AppConfig } from './config';
import { configuredOrGeneratedSecret } from './secrets';

export const ROLES = ['staff', 'analyst', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The embedded default signs its own tokens with AUTH_DEV_SECRET or a generated secret. */
export function resolveDevSecret(config: AppConfig): Uint8Array {
  return configuredOrGeneratedSecret(config.auth.devSecret, config.dataDir, 'auth-dev-secret');
}

export interface DevTokenRequest {
  readonly subject: string;
  readonly roles: readonly Role[];
  /** Seconds; default 8 hours, a working day. */
  readonly expiresInSeconds?: number;
}

export async function signDevToken(config: AppConfig, request: DevTokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [config.auth.rolesClaim]: [...request.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.expiresInSeconds ?? 8 * 3600))
    .sign(resolveDevSecret(config));
}

/**
 * A token as the command line prints it (`npm run token`, `npm run cli -- token`): the roles
 * checked, the subject `dev-<first role>` unless given, and refused where an identity provider
 * issues the tokens (AUTH_JWKS_URL).
 */
export async function devTokenForCommandLine(
  config: AppConfig,
  request: { roles: readonly string[]; subject?: string; expiresInSeconds?: number },
): Promise<string> {
  const unknown = request.roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (request.roles.length === 0 || unknown.length > 0) {
    throw new Error(`--role must be one of ${ROLES.join(', ')} (repeatable)${unknown.length ? `; got ${unknown.join(', ')}` : ''}`);
  }
  if (config.auth.jwksUrl) throw new Error('AUTH_JWKS_URL is set: get tokens from the identity provider');
  const { expiresInSeconds } = request;
  if (expiresInSeconds !== undefined && !(Number.isInteger(expiresInSeconds) && expiresInSeconds > 0)) {
    throw new Error('--expires-in must be a positive number of seconds');
  }
  const roles = request.roles as readonly Role[];
  return signDevToken(config, { subject: request.subject ?? `dev-${roles[0]}`, roles, expiresInSeconds });
}
