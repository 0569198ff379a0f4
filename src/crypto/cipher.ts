/**
 * Encryption at rest: AES-256-GCM, random 12-byte IV, every value tagged with the id of the key
 * that wrote it: `<kid>:<iv b64>:<ciphertext b64>:<tag b64>`. The first key writes; all keys read.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config';
import { DecryptionError } from '../errors';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and decrypts strings with a key ring. */
export class Cipher {
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly writeKey: Buffer;
  readonly writeKeyId: string;

  constructor(keys: readonly EncryptionKey[]) {
    const first = keys[0];
    if (!first) throw new Error('Cipher needs at least one key');
    this.writeKeyId = first.id;
    this.writeKey = first.key;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** Encrypts with the first (write) key. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.writeKey, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [this.writeKeyId, iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join(':');
  }

  /** Decrypts a value written by any listed key; tampering or an unknown key id is a DecryptionError. */
  decrypt(value: string): string {
    const parts = value.split(':');
    if (parts.length !== 4) throw new DecryptionError('malformed_ciphertext', 'Encrypted value is not <kid>:<iv>:<ciphertext>:<tag>');
    const [kid, ivText, bodyText, tagText] = parts as [string, string, string, string];
    const key = this.byId.get(kid);
    if (!key) throw new DecryptionError('unknown_key_id', `Encrypted value uses key id "${kid}", which is not in ENCRYPTION_KEYS`);
    const iv = Buffer.from(ivText, 'base64');
    const tag = Buffer.from(tagText, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new DecryptionError('malformed_ciphertext', 'Encrypted value has a wrong IV or tag length');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('decryption_failed', `Encrypted value failed authentication with key "${kid}"`);
    }
  }

  /** Whether a stored value was written with a key other than the write key (rotation needed). */
  needsRotation(value: string): boolean {
    return !value.startsWith(`${this.writeKeyId}:`);
  }
}
