/** API_KEY: the end user types a key; the catalog's headers carry it (`${apiKey}`). */
import { z } from 'zod';
import type { ApiKeyCredentials } from '../credentials';
import { textOf } from './authorization-error';
import { missingLegacyField } from './oauth2';
import type { VerificationInput, VerificationRequest } from './auth-mode';
import { typedCredentialsStrategy } from './typed-credentials';
import { buildVerificationRequest } from './verification-request';

const key = z.string().min(1).max(4096);

/** The API_KEY strategy. */
export const apiKey = typedCredentialsStrategy({
  authMode: 'API_KEY',
  route: '/api-auth/api-key/:key',
  // `.meta()` titles the Connect UI's field when the catalog entry has no schema for it.
  form: z.object({ apiKey: key.meta({ title: 'API key', secret: true }) }),
  importSchema: z.object({ type: z.literal('API_KEY'), apiKey: z.string().min(1) }),
  toCredentials: (values): ApiKeyCredentials => ({ type: 'API_KEY', apiKey: String(values.apiKey) }),
  fromLegacyImport: (body) => {
    const value = textOf(body.api_key);
    if (!value) throw missingLegacyField('api_key', 'API_KEY');
    return { type: 'API_KEY', apiKey: value };
  },
  implicitHeaders: () => ({}),
});

/** The request that checks a typed key, or null when the entry declares no verification. */
export const apiKeyVerificationRequest = (input: VerificationInput): VerificationRequest | null => buildVerificationRequest(input);
