/** Every column that holds a value encrypted by the Cipher: the one list key rotation walks. */

/** One encrypted column; every table listed has a `uuid` primary key named `id`. */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
}

/** The encrypted columns of the schema (src/db/migrations), in the order rotation visits them. */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = Object.freeze(
  [
    { table: 'environment', column: 'secret_key_encrypted' },
    { table: 'environment', column: 'webhook_signing_key_encrypted' },
    { table: 'integration', column: 'client_secret_encrypted' },
    { table: 'connection', column: 'credentials_encrypted' },
    { table: 'auth_attempt', column: 'pkce_verifier_encrypted' },
    { table: 'auth_attempt', column: 'request_token_secret_encrypted' },
    { table: 'auth_attempt', column: 'callback_params_encrypted' },
  ].map((c) => Object.freeze(c)),
);
