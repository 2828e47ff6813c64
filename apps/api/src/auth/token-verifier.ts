import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { ROLES, resolveDevSecret, type AppConfig, type Role } from '@app/platform';
import type { Principal } from './principal';

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Asymmetric algorithms an OIDC provider may sign with; `none` and HMAC are never taken from it. */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies bearer tokens: against the OIDC provider's JWKS in production, against the local
 * secret on the embedded default. Either way issuer, audience, expiry and the algorithm list are
 * enforced by jose, which also refuses unsigned (`alg: none`) tokens.
 */
export class TokenVerifier {
  private readonly verifySignature: (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

  constructor(private readonly config: AppConfig) {
    if (config.auth.jwksUrl) {
      const keySet = createRemoteJWKSet(new URL(config.auth.jwksUrl));
      this.verifySignature = (token, options) => jwtVerify(token, keySet, { ...options, algorithms: JWKS_ALGORITHMS });
    } else {
      const secret = resolveDevSecret(config);
      this.verifySignature = (token, options) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
    }
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await this.verifySignature(token, {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new InvalidTokenError(reason);
    }
    // The subject becomes the actor of recorded events: it must name someone.
    if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new InvalidTokenError('the token has no subject');
    return { subject: payload.sub, roles: this.rolesOf(payload) };
  }

  private rolesOf(payload: JWTPayload): Role[] {
    const claim = this.config.auth.rolesClaim
      .split('.')
      .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), payload);
    const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(' ') : [];
    return names.filter((name): name is Role => (ROLES as readonly string[]).includes(name as string));
  }
}
