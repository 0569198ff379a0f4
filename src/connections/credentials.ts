/**
 * The credentials blob stored encrypted on a connection row, one shape per auth mode (API.md §2).
 * Dates are ISO strings. `raw` is the provider's token response as received.
 */
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';

export interface OAuth2Credentials {
  type: 'OAUTH2';
  access_token: string;
  refresh_token?: string;
  expires_at?: string;
  raw: Record<string, unknown>;
  config_override?: Record<string, unknown>;
}

export interface OAuth2ClientCredentials {
  type: 'OAUTH2_CC';
  token: string;
  expires_at?: string;
  client_id: string;
  client_secret: string;
  raw: Record<string, unknown>;
}

export interface OAuth1Credentials {
  type: 'OAUTH1';
  oauth_token: string;
  oauth_token_secret: string;
  raw: Record<string, unknown>;
}

export interface ApiKeyCredentials {
  type: 'API_KEY';
  apiKey: string;
}

export interface BasicCredentials {
  type: 'BASIC';
  username: string;
  password: string;
}

export interface NoCredentials {
  type: 'NONE';
}

export type Credentials = OAuth2Credentials | OAuth2ClientCredentials | OAuth1Credentials | ApiKeyCredentials | BasicCredentials | NoCredentials;

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

/** A token set as a provider's token endpoint returned it, normalised (no connection-specific state). */
export interface TokenSet {
  accessToken: string;
  /** Absent when the response carried none (the caller then keeps the old one). */
  refreshToken?: string;
  /** null: the token does not expire (no `expires_in`, no JWT `exp`). */
  expiresAt: Date | null;
  /** The response body as received. */
  raw: Record<string, unknown>;
  /** Values named by the catalog's `token_response_metadata`, to merge into `connection_config`. */
  connectionConfig: Record<string, unknown>;
}
