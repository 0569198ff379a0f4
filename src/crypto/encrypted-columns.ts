/** Every column that holds a value encrypted by the Cipher: the names its associated data binds to, and the one list key rotation walks. */

/** One encrypted column; every table listed has a `uuid` primary key named `id` (the row id of the associated data). */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
}

const column = (table: string, name: string): EncryptedColumn => Object.freeze({ table, column: name });

/** The encrypted columns of the schema (src/db/migrations) by role; writers and readers name their column from here. */
export const ENCRYPTED = Object.freeze({
  environmentSecretKey: column('environment', 'secret_key_encrypted'),
  environmentWebhookSigningKey: column('environment', 'webhook_signing_key_encrypted'),
  integrationClientSecret: column('integration', 'client_secret_encrypted'),
  integrationCustomSecrets: column('integration', 'custom_secrets_encrypted'),
  connectionCredentials: column('connection', 'credentials_encrypted'),
  attemptSecrets: column('auth_attempt', 'secrets_encrypted'),
  attemptPkceVerifier: column('auth_attempt', 'pkce_verifier_encrypted'),
  attemptRequestTokenSecret: column('auth_attempt', 'request_token_secret_encrypted'),
  attemptCallbackParams: column('auth_attempt', 'callback_params_encrypted'),
  attemptCredentials: column('auth_attempt', 'credentials_encrypted'),
});

/** Every encrypted column, in the order rotation visits them. */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = Object.freeze(Object.values(ENCRYPTED));
