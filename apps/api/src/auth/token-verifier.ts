import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { KeptValues, ROLES, resolveDevSecret, textDefect, type AppConfig, type Role } from '@app/platform';
import type { Principal } from './principal';

/** Why a token was refused, for clients that say it in their own words (the dashboard). */
export type InvalidTokenReason = 'expired' | 'signature' | 'invalid';

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(
    message: string,
    readonly reason: InvalidTokenReason = 'invalid',
  ) {
    super(message);
  }
}

/** Asymmetric algorithms an OIDC provider may sign with; `none` and HMAC are never taken from it. */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Longer subjects are not names of people or services; the actor is stored with every event. */
export const MAX_SUBJECT_LENGTH = 255;
/** Tokens kept verified: a client sends the same token with every request until it expires. */
const KEPT_TOKENS = 1_000;
/** How long a verified token is taken without verifying it again, at most (and never past its expiry). */
export const KEPT_TOKEN_MS = 60_000;

/**
 * Verifies bearer tokens: against the OIDC provider's JWKS in production, against the local
 * secret on the embedded default. Either way issuer, audience, expiry and the algorithm list are
 * enforced by jose, which also refuses unsigned (`alg: none`) tokens.
 */
export class TokenVerifier {
  private readonly verifySignature: (token: string, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

  /** Said when the signature does not match: a token of another DATA_DIR is the usual cause on the embedded default. */
  private readonly signatureMismatch: string;

  constructor(private readonly config: AppConfig) {
    this.signatureMismatch = config.auth.jwksUrl
      ? 'its signature matches none of the keys of AUTH_JWKS_URL (a token of another identity provider?)'
      : "its signature does not match this service's key. Tokens of the embedded default are signed with the secret " +
        'of their DATA_DIR (or AUTH_DEV_SECRET): make one with the same DATA_DIR as the service (npm run -s token)';
    if (config.auth.jwksUrl) {
      const keySet = createRemoteJWKSet(new URL(config.auth.jwksUrl));
      this.verifySignature = (token, options) => jwtVerify(token, keySet, { ...options, algorithms: JWKS_ALGORITHMS });
    } else {
      const secret = resolveDevSecret(config);
      this.verifySignature = (token, options) => jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
    }
  }

  /** Principals of tokens verified lately, by the token's SHA-256 (the token itself is not kept). */
  private readonly verified = new KeptValues<Principal>(KEPT_TOKENS, KEPT_TOKEN_MS);

  /**
   * The token's principal. A token verified in the last KEPT_TOKEN_MS is taken again without
   * verifying its signature and claims again (a signed token does not change), until its expiry:
   * then it is verified anew, and refused as expired. A token is only kept once it passed.
   */
  async verify(token: string): Promise<Principal> {
    const digest = createHash('sha256').update(token).digest('base64');
    const kept = this.verified.get(digest);
    if (kept) return kept;
    const { principal, expiresAt } = await this.verifyAnew(token);
    this.verified.set(digest, principal, expiresAt);
    return principal;
  }

  private async verifyAnew(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await this.verifySignature(token, {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the token has expired', 'expired');
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
        throw new InvalidTokenError(this.signatureMismatch, 'signature');
      }
      throw new InvalidTokenError('the token is not valid');
    }
    // The subject becomes the actor of recorded events and access-log entries: it must name
    // someone, in text PostgreSQL can store, as any other input.
    if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new InvalidTokenError('the token has no subject');
    if (payload.sub.length > MAX_SUBJECT_LENGTH || textDefect(payload.sub)) {
      throw new InvalidTokenError(`the token's subject is not up to ${MAX_SUBJECT_LENGTH} characters of well-formed text without control characters`);
    }
    // exp is required (above) and a number once jose has checked it.
    return { principal: { subject: payload.sub, roles: this.rolesOf(payload) }, expiresAt: (payload.exp as number) * 1000 };
  }

  private rolesOf(payload: JWTPayload): Role[] {
    const claim = this.config.auth.rolesClaim
      .split('.')
      .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), payload);
    const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(' ') : [];
    return names.filter((name): name is Role => (ROLES as readonly string[]).includes(name as string));
  }
}
