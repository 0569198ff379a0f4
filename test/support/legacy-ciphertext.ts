/** Writes values the way Custodian did before associated data: `<kid>:<iv>:<ciphertext>:<tag>`, bound to nothing (for migration tests). */
import { createCipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../../src/config';

/** A legacy (AAD-less) ciphertext of `plaintext` under `key`. */
export function legacyEncrypt(key: EncryptionKey, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [key.id, iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join(':');
}
