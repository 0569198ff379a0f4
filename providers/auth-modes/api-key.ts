/** API_KEY: the end user types a key; the catalog's headers carry it (`${apiKey}`). */
import type { CredentialsStrategy } from './auth-mode';
import { buildVerificationRequest } from './verification-request';

/** The API_KEY strategy. */
export const apiKey: CredentialsStrategy<'API_KEY'> = {
  authMode: 'API_KEY',
  buildVerificationRequest: (input) => buildVerificationRequest(input),
};
