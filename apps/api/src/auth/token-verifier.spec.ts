import { loadConfig, signDevToken } from '@app/platform';
import { InvalidTokenError, KEPT_TOKEN_MS, TokenVerifier } from './token-verifier';

describe('TokenVerifier', () => {
  const config = loadConfig({ DATA_DIR: '/nonexistent', AUTH_DEV_SECRET: 'a-secret-for-the-token-verifier-spec-of-32-bytes' });
  const start = Date.parse('2026-12-05T10:00:00Z');

  beforeEach(() => jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('takes a token it verified again as it is, for a while: the same principal, no second verification', async () => {
    const verifier = new TokenVerifier(config);
    const token = await signDevToken(config, { subject: 'alice', roles: ['staff'] });
    const first = await verifier.verify(token);
    expect(first).toEqual({ subject: 'alice', roles: ['staff'] });
    expect(await verifier.verify(token)).toBe(first);
    jest.setSystemTime(start + KEPT_TOKEN_MS);
    const again = await verifier.verify(token);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('refuses a kept token once it has expired, as expired', async () => {
    const verifier = new TokenVerifier(config);
    const token = await signDevToken(config, { subject: 'bob', roles: ['analyst'], expiresInSeconds: 10 });
    await verifier.verify(token);
    jest.setSystemTime(start + 10_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('keeps no token that fails: refused every time', async () => {
    const verifier = new TokenVerifier(config);
    const other = loadConfig({ DATA_DIR: '/nonexistent', AUTH_DEV_SECRET: 'another-secret-for-the-token-verifier-spec-32b' });
    const forged = await signDevToken(other, { subject: 'mallory', roles: ['admin'] });
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ reason: 'signature' });
  });
});
