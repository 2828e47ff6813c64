import { decodeJwt } from 'jose';
import { loadConfig } from './config';
import { devTokenForCommandLine } from './dev-tokens';

describe('devTokenForCommandLine', () => {
  const config = loadConfig({ AUTH_DEV_SECRET: 'a-development-secret-that-is-long-enough' });

  it('signs the roles asked for, for dev-<first role> unless a subject is given', async () => {
    const claims = decodeJwt(await devTokenForCommandLine(config, { roles: ['auditor', 'staff'], expiresInSeconds: 60 }));
    expect(claims).toMatchObject({ sub: 'dev-auditor', roles: ['auditor', 'staff'] });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(decodeJwt(await devTokenForCommandLine(config, { roles: ['analyst'], subject: 'ana' })).sub).toBe('ana');
  });

  it.each([
    [{ roles: [] }, /--role must be one of staff, analyst, auditor, admin/],
    [{ roles: ['staff', 'boss'] }, /got boss/],
    [{ roles: ['staff'], expiresInSeconds: 0 }, /--expires-in must be a positive number/],
    [{ roles: ['staff'], expiresInSeconds: Number('soon') }, /--expires-in must be a positive number/],
  ])('refuses %j', async (request, message) => {
    await expect(devTokenForCommandLine(config, request)).rejects.toThrow(message);
  });

  it('refuses where an identity provider issues the tokens', async () => {
    const withProvider = loadConfig({ AUTH_JWKS_URL: 'https://idp.example.be/jwks', AUTH_ISSUER: 'https://idp.example.be', AUTH_AUDIENCE: 'dossiers' });
    await expect(devTokenForCommandLine(withProvider, { roles: ['staff'] })).rejects.toThrow(/AUTH_JWKS_URL is set/);
  });
});
