import { hkdfSync, randomBytes } from 'node:crypto';
import { AES_256_KEY_BYTES, GCM_IV_BYTES, GCM_TAG_BYTES, gcmOpen, gcmSeal } from './aes-gcm';

const FORMAT_VERSION = 1;
/** version (1) || iv (12) || wrapped key (32) || tag (16) */
const WRAPPED_BYTES = 1 + GCM_IV_BYTES + AES_256_KEY_BYTES + GCM_TAG_BYTES;

/** Domain separation of the key-encryption key: a PERSONAL_DATA_KEY used elsewhere yields another key. */
const HKDF_SALT = 'ukraine-tp-dossiers';
const HKDF_INFO = 'personal-data-keys/key-encryption-key/A256GCM/v1';

/** A dossier key that does not unwrap: another master key, another dossier's row, or altered bytes. */
export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
  constructor(readonly dossierId: string) {
    super(`The personal-data key of dossier ${dossierId} does not unwrap: PERSONAL_DATA_KEY differs from the one it was wrapped under, or the row was altered.`);
  }
}

export function newDossierKey(): Buffer {
  return randomBytes(AES_256_KEY_BYTES);
}

/**
 * The key-encryption key: HKDF-SHA-256 of the PERSONAL_DATA_KEY secret. Dossier keys are stored
 * only wrapped under it (AES-256-GCM, the dossier id as additional authenticated data, so a
 * wrapped key moved to another dossier's row does not unwrap). This process holds the master
 * key; it never keeps a dossier key beyond the call that needed it.
 */
export class MasterKey {
  private constructor(private readonly kek: Buffer) {}

  static derive(secret: Uint8Array): MasterKey {
    if (secret.length < 32) throw new Error('The personal-data master secret must have at least 32 bytes');
    return new MasterKey(Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32)));
  }

  wrap(dossierKey: Uint8Array, dossierId: string): Buffer {
    if (dossierKey.length !== AES_256_KEY_BYTES) throw new Error(`A dossier key has ${AES_256_KEY_BYTES} bytes`);
    const { iv, ciphertext, tag } = gcmSeal(this.kek, dossierKey, dossierId);
    return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, ciphertext, tag]);
  }

  unwrap(wrapped: Uint8Array, dossierId: string): Buffer {
    // A view of the caller's bytes, not a copy: a rebuild unwraps a key per registration.
    const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    if (bytes.length !== WRAPPED_BYTES || bytes[0] !== FORMAT_VERSION) throw new KeyUnwrapError(dossierId);
    const key = gcmOpen(
      this.kek,
      {
        iv: bytes.subarray(1, 1 + GCM_IV_BYTES),
        ciphertext: bytes.subarray(1 + GCM_IV_BYTES, 1 + GCM_IV_BYTES + AES_256_KEY_BYTES),
        tag: bytes.subarray(1 + GCM_IV_BYTES + AES_256_KEY_BYTES),
      },
      dossierId,
    );
    if (!key) throw new KeyUnwrapError(dossierId);
    return key;
  }
}
