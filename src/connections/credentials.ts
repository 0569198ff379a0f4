/**
 * The credentials blob stored encrypted on a connection row. Its shapes live with the auth modes
 * (providers/credentials.ts); this module only seals and opens it.
 */
import type { Credentials } from '../../providers/credentials';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';

export type * from '../../providers/credentials';

/** The credentials blob of a stored connection row, decrypted (bound to that row). */
export function decryptCredentials(cipher: Pick<Cipher, 'decrypt'>, row: { id: string; credentialsEncrypted: string | null }): Credentials {
  // Only a deleted row has none (CHECK connection_live_has_credentials); reading one is a bug upstream.
  if (row.credentialsEncrypted === null) throw new Error('the connection was deleted: its credentials were wiped');
  return JSON.parse(cipher.decrypt(row.credentialsEncrypted, ENCRYPTED.connectionCredentials, row.id)) as Credentials;
}

/** The credentials blob encrypted for connection row `rowId`. */
export function encryptCredentials(cipher: Pick<Cipher, 'encrypt'>, credentials: Credentials, rowId: string): string {
  return cipher.encrypt(JSON.stringify(credentials), ENCRYPTED.connectionCredentials, rowId);
}
