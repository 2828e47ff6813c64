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
