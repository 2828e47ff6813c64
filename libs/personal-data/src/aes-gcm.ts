import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM with a fresh 96-bit nonce and a 128-bit tag: the one cipher this library uses. */
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const AES_256_KEY_BYTES = 32;

export interface GcmSealed {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: string): GcmSealed {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** The plaintext, or undefined when anything (nonce, ciphertext, tag, key, aad) is not as sealed. */
export function gcmOpen(key: Uint8Array, sealed: GcmSealed, aad: string): Buffer | undefined {
  if (sealed.iv.length !== GCM_IV_BYTES || sealed.tag.length !== GCM_TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    // GCM is a stream cipher: update gives the whole plaintext, final only checks the tag (and gives nothing).
    const plaintext = decipher.update(sealed.ciphertext);
    decipher.final();
    return plaintext;
  } catch {
    return undefined;
  }
}
