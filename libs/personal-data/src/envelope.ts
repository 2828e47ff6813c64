import { ERASED, type PersonalData } from '@app/domain';
import { canonicalJson } from '@app/platform';
import { AES_256_KEY_BYTES, gcmOpen, gcmSeal } from './aes-gcm';

/**
 * The stored form of a registration's `personal` block: AES-256-GCM over the canonical JSON of
 * the PersonalData, under the dossier's own key, with the dossier id as additional authenticated
 * data (an envelope copied into another dossier does not open there). Binary parts base64url.
 */
export interface PersonalDataEnvelope {
  readonly alg: 'A256GCM';
  /** 96-bit nonce, fresh for every envelope. */
  readonly iv: string;
  readonly ciphertext: string;
  /** 128-bit GCM authentication tag. */
  readonly tag: string;
}

export const ENVELOPE_ALGORITHM = 'A256GCM';
export const DOSSIER_KEY_BYTES = AES_256_KEY_BYTES;

/** What every personal field reads once the dossier's key was destroyed. */
export const ERASED_PERSONAL_DATA: Readonly<PersonalData> = Object.freeze({
  givenName: ERASED,
  familyName: ERASED,
  birthDate: ERASED,
  nationalRegisterNumber: ERASED,
  attestationNumber: ERASED,
});

/** An envelope that does not open: altered, under another key, or moved to another dossier. */
export class PersonalDataDecryptionError extends Error {
  override readonly name = 'PersonalDataDecryptionError';
  constructor(readonly dossierId: string) {
    super(`The personal data of dossier ${dossierId} does not decrypt: it was altered, or is not under this dossier's key.`);
  }
}

export function isEnvelope(value: unknown): value is PersonalDataEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.alg === ENVELOPE_ALGORITHM &&
    typeof candidate.iv === 'string' &&
    typeof candidate.ciphertext === 'string' &&
    typeof candidate.tag === 'string'
  );
}

function requireKey(key: Uint8Array): void {
  if (key.length !== DOSSIER_KEY_BYTES) throw new Error(`A dossier key has ${DOSSIER_KEY_BYTES} bytes, not ${key.length}`);
}

export function sealPersonalData(personal: PersonalData, key: Uint8Array, dossierId: string): PersonalDataEnvelope {
  requireKey(key);
  const { iv, ciphertext, tag } = gcmSeal(key, Buffer.from(canonicalJson(personal), 'utf8'), dossierId);
  return {
    alg: ENVELOPE_ALGORITHM,
    iv: iv.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
    tag: tag.toString('base64url'),
  };
}

export function openPersonalData(envelope: PersonalDataEnvelope, key: Uint8Array, dossierId: string): PersonalData {
  requireKey(key);
  const plaintext = gcmOpen(
    key,
    {
      iv: Buffer.from(envelope.iv, 'base64url'),
      ciphertext: Buffer.from(envelope.ciphertext, 'base64url'),
      tag: Buffer.from(envelope.tag, 'base64url'),
    },
    dossierId,
  );
  if (!plaintext) throw new PersonalDataDecryptionError(dossierId);
  return JSON.parse(plaintext.toString('utf8')) as PersonalData;
}
