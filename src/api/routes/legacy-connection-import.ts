/** The flat body of the legacy `POST /connection` import and its translation into a credentials blob. */
import { z } from 'zod';
import type { Credentials } from '../../connections/credentials';
import { ValidationError } from '../../errors';
import { connectionIdField, expiryField, providerConfigKey } from '../schemas/connection-fields';
import { metadataField } from '../schemas/metadata-fields';

/** Longest accepted `expires_in`: a century (a much larger one is past the last date JavaScript can represent). */
const MAX_EXPIRES_IN_SECONDS = 100 * 365 * 24 * 3600;

export const legacyImportBody = z.object({
  provider_config_key: providerConfigKey,
  connection_id: connectionIdField.optional(),
  access_token: z.string().min(1).optional(),
  refresh_token: z.string().min(1).optional(),
  expires_at: expiryField.optional(),
  expires_in: z.number().int().positive().max(MAX_EXPIRES_IN_SECONDS).optional(),
  no_expiration: z.boolean().optional(),
  oauth_token: z.string().min(1).optional(),
  oauth_token_secret: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  api_key: z.string().min(1).optional(),
  raw: z.record(z.string(), z.unknown()).optional(),
  metadata: metadataField.nullable().optional(),
  connection_config: z.record(z.string(), z.unknown()).optional(),
});

export type LegacyImportBody = z.output<typeof legacyImportBody>;

function missing(field: string, authMode: string): ValidationError {
  return new ValidationError('invalid_body', `${field} is required for a ${authMode} integration`, {
    errors: [{ code: 'invalid_type', message: 'Required', path: [field] }],
  });
}

/** The credentials the flat body describes for an integration of `authMode`. */
export function legacyCredentials(body: LegacyImportBody, authMode: string, now: Date): Credentials {
  switch (authMode) {
    case 'OAUTH2': {
      if (!body.access_token) throw missing('access_token', authMode);
      const expiresAt = body.no_expiration ? undefined : (body.expires_at ?? (body.expires_in ? new Date(now.getTime() + body.expires_in * 1000).toISOString() : undefined));
      return { type: 'OAUTH2', access_token: body.access_token, refresh_token: body.refresh_token, expires_at: expiresAt, raw: body.raw ?? {} };
    }
    case 'OAUTH1':
      if (!body.oauth_token) throw missing('oauth_token', authMode);
      if (!body.oauth_token_secret) throw missing('oauth_token_secret', authMode);
      return { type: 'OAUTH1', oauth_token: body.oauth_token, oauth_token_secret: body.oauth_token_secret, raw: body.raw ?? {} };
    case 'API_KEY':
      if (!body.api_key) throw missing('api_key', authMode);
      return { type: 'API_KEY', apiKey: body.api_key };
    case 'BASIC':
      if (!body.username) throw missing('username', authMode);
      return { type: 'BASIC', username: body.username, password: body.password ?? '' };
    case 'NONE':
      return { type: 'NONE' };
    default:
      throw new ValidationError('invalid_body', `Connections of ${authMode} integrations cannot be imported through the legacy endpoint; use POST /connections`);
  }
}
