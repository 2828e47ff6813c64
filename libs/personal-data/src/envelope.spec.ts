import { randomBytes, randomUUID } from 'node:crypto';
import type { PersonalData } from '@app/domain';
import { isEnvelope, openPersonalData, PersonalDataDecryptionError, sealPersonalData } from './envelope';
import { KeyUnwrapError, MasterKey, newDossierKey } from './master-key';

const personal: PersonalData = {
  givenName: 'Олена',
  familyName: 'Kovalenko',
  birthDate: '1985-07-30',
  nationalRegisterNumber: '85073003328',
  attestationNumber: 'TB-2022-0012345',
};

/** Flips one bit of a base64url field. */
function flipped(field: string): string {
  const bytes = Buffer.from(field, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}

describe('personal-data envelope (AES-256-GCM)', () => {
  const dossierId = randomUUID();
  const key = newDossierKey();

  it('round-trips the personal block and shows nothing of it', () => {
    const envelope = sealPersonalData(personal, key, dossierId);
    expect(isEnvelope(envelope)).toBe(true);
    expect(Object.keys(envelope).sort()).toEqual(['alg', 'ciphertext', 'iv', 'tag']);
    expect(envelope.alg).toBe('A256GCM');
    const stored = JSON.stringify(envelope);
    for (const value of Object.values(personal)) expect(stored).not.toContain(String(value));
    expect(openPersonalData(envelope, key, dossierId)).toEqual(personal);
  });

  it('uses a fresh nonce for every envelope', () => {
    const a = sealPersonalData(personal, key, dossierId);
    const b = sealPersonalData(personal, key, dossierId);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses a tampered ciphertext, tag or nonce', () => {
    const envelope = sealPersonalData(personal, key, dossierId);
    for (const field of ['ciphertext', 'tag', 'iv'] as const) {
      const tampered = { ...envelope, [field]: flipped(envelope[field]) };
      expect(() => openPersonalData(tampered, key, dossierId)).toThrow(PersonalDataDecryptionError);
    }
    expect(() => openPersonalData({ ...envelope, tag: envelope.tag.slice(0, 8) }, key, dossierId)).toThrow(PersonalDataDecryptionError);
  });

  it('does not open under another dossier id (additional authenticated data) or another key', () => {
    const envelope = sealPersonalData(personal, key, dossierId);
    expect(() => openPersonalData(envelope, key, randomUUID())).toThrow(PersonalDataDecryptionError);
    expect(() => openPersonalData(envelope, newDossierKey(), dossierId)).toThrow(PersonalDataDecryptionError);
  });

  it('tells an envelope from a personal block stored in plain', () => {
    expect(isEnvelope(personal)).toBe(false);
    expect(isEnvelope(null)).toBe(false);
    expect(isEnvelope({ alg: 'A128GCM', iv: '', ciphertext: '', tag: '' })).toBe(false);
  });

  it('error messages name the dossier, never the data', () => {
    const envelope = sealPersonalData(personal, key, dossierId);
    const error = (() => {
      try {
        openPersonalData(envelope, newDossierKey(), dossierId);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('opened under the wrong key');
    })();
    expect(error.message).toContain(dossierId);
    expect(error.message).not.toContain('Kovalenko');
  });
});

describe('dossier keys wrapped under the master key (HKDF-SHA-256 → AES-256-GCM)', () => {
  const master = MasterKey.derive(randomBytes(48));
  const dossierId = randomUUID();

  it('unwraps what it wrapped, for the same dossier only', () => {
    const key = newDossierKey();
    const wrapped = master.wrap(key, dossierId);
    expect(wrapped).toHaveLength(61);
    expect(wrapped.includes(key)).toBe(false);
    expect(master.unwrap(wrapped, dossierId)).toEqual(key);
    expect(() => master.unwrap(wrapped, randomUUID())).toThrow(KeyUnwrapError);
  });

  it('refuses another master secret and altered bytes', () => {
    const wrapped = master.wrap(newDossierKey(), dossierId);
    expect(() => MasterKey.derive(randomBytes(48)).unwrap(wrapped, dossierId)).toThrow(KeyUnwrapError);
    const altered = Buffer.from(wrapped);
    altered[20] ^= 0x80;
    expect(() => master.unwrap(altered, dossierId)).toThrow(KeyUnwrapError);
    expect(() => master.unwrap(wrapped.subarray(0, 40), dossierId)).toThrow(KeyUnwrapError);
  });

  it('derives the same key-encryption key from the same secret, so every process agrees', () => {
    const secret = new TextEncoder().encode('a-personal-data-key-of-at-least-32-characters');
    const wrapped = MasterKey.derive(secret).wrap(newDossierKey(), dossierId);
    expect(() => MasterKey.derive(secret).unwrap(wrapped, dossierId)).not.toThrow();
    expect(() => MasterKey.derive(new TextEncoder().encode('short'))).toThrow(/at least 32 bytes/);
  });
});
