/**
 * Encryption at rest: AES-256-GCM, random 12-byte IV, every value tagged with the id of the key that
 * wrote it and bound to its place: the associated data names the table, the column and the row id,
 * so a value copied into another row or column fails authentication.
 *
 * Formats (key ids, IVs and base64 never contain `:`, so the number of parts tells them apart):
 * - bound (written today): `v2:<kid>:<iv b64>:<ciphertext b64>:<tag b64>`, AAD = JSON [table, column, row id];
 * - legacy (written before AAD): `<kid>:<iv b64>:<ciphertext b64>:<tag b64>`, no AAD. Read until
 *   `keys:rotate` rewrites it, unless the cipher refuses legacy values (ENCRYPTION_REFUSE_LEGACY).
 * The first key writes; all keys read.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config';
import { DecryptionError } from '../errors';
import type { EncryptedColumn } from './encrypted-columns';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The marker that opens a bound value. */
export const BOUND_MARKER = 'v2';

export interface CipherOptions {
  /** Whether values written without associated data are read (default true; false once keys:rotate has run). */
  readonly acceptLegacy?: boolean;
}

/** The associated data of a value stored in `column` of row `rowId`. */
function associatedData(column: EncryptedColumn, rowId: string): Buffer {
  return Buffer.from(JSON.stringify([column.table, column.column, rowId]), 'utf8');
}

/** Encrypts and decrypts strings with a key ring, each value bound to its table, column and row. */
export class Cipher {
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly writeKey: Buffer;
  private readonly acceptLegacy: boolean;
  readonly writeKeyId: string;

  constructor(keys: readonly EncryptionKey[], options: CipherOptions = {}) {
    const first = keys[0];
    if (!first) throw new Error('Cipher needs at least one key');
    this.writeKeyId = first.id;
    this.writeKey = first.key;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.acceptLegacy = options.acceptLegacy ?? true;
  }

  /** Encrypts with the first (write) key, bound to `column` of row `rowId`. */
  encrypt(plaintext: string, column: EncryptedColumn, rowId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.writeKey, iv);
    cipher.setAAD(associatedData(column, rowId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [BOUND_MARKER, this.writeKeyId, iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join(':');
  }

  /**
   * Decrypts a value read from `column` of row `rowId`, written by any listed key. Tampering, an unknown
   * key id or a value moved from another place is a DecryptionError naming the place, never the value.
   */
  decrypt(value: string, column: EncryptedColumn, rowId: string): string {
    const place = `${column.table}.${column.column} of row ${rowId}`;
    const parts = value.split(':');
    const bound = parts.length === 5 && parts[0] === BOUND_MARKER;
    if (!bound && parts.length !== 4) {
      throw new DecryptionError('malformed_ciphertext', `Encrypted value in ${place} is not ${BOUND_MARKER}:<kid>:<iv>:<ciphertext>:<tag>`);
    }
    if (!bound && !this.acceptLegacy) {
      throw new DecryptionError('legacy_ciphertext', `Encrypted value in ${place} has no associated data and legacy values are refused (ENCRYPTION_REFUSE_LEGACY); run keys:rotate`);
    }
    const [kid, ivText, bodyText, tagText] = (bound ? parts.slice(1) : parts) as [string, string, string, string];
    const key = this.byId.get(kid);
    if (!key) throw new DecryptionError('unknown_key_id', `Encrypted value in ${place} uses key id "${kid}", which is not in ENCRYPTION_KEYS`);
    const iv = Buffer.from(ivText, 'base64');
    const tag = Buffer.from(tagText, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new DecryptionError('malformed_ciphertext', `Encrypted value in ${place} has a wrong IV or tag length`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      if (bound) decipher.setAAD(associatedData(column, rowId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('decryption_failed', `Encrypted value in ${place} failed authentication with key "${kid}" (tampered, or moved from another row or column)`);
    }
  }

  /** Whether a stored value needs rewriting: written without associated data, or with a key other than the write key. */
  needsRotation(value: string): boolean {
    const parts = value.split(':');
    return !(parts.length === 5 && parts[0] === BOUND_MARKER && parts[1] === this.writeKeyId);
  }
}
