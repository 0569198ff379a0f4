/** The flat body of the legacy `POST /connection` import and its translation into a credentials blob. */
import { z } from 'zod';
import type { AuthModeStrategy } from '../../../providers/auth-modes';
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

/** The credentials the flat body describes, in the mode of the integration's strategy. */
export function legacyCredentials(strategy: AuthModeStrategy | undefined, body: LegacyImportBody, now: Date): Credentials {
  if (!strategy?.fromLegacyImport) {
    throw new ValidationError('invalid_body', `Connections of ${strategy?.authMode ?? 'this'} integrations cannot be imported through the legacy endpoint; use POST /connections`);
  }
  return strategy.fromLegacyImport(body, now);
}
