/** Field schemas shared by the connection routes (API.md §0 and §2 identifiers, tags, end user, credentials). */
import { z } from 'zod';

export const providerConfigKey = z.string().min(1).max(255).regex(/^[a-zA-Z0-9~:.@ _-]+$/, 'may contain letters, digits and ~:.@ _-');
export const connectionIdField = z.string().min(1).max(255);

const TAG_KEY = /^[a-zA-Z][a-zA-Z0-9_\-./]*$/;

/** ≤10 tags; keys lower-cased on write. */
export const tagsField = z
  .record(z.string().max(64).regex(TAG_KEY, 'tag keys start with a letter and contain letters, digits, _-./'), z.string().min(1).max(255))
  .refine((tags) => Object.keys(tags).length <= 10, 'at most 10 tags')
  .transform((tags) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v])));

export const endUserField = z.object({
  id: z.string().min(1).max(255),
  email: z.email().optional(),
  display_name: z.string().max(255).optional(),
  tags: tagsField.optional(),
  organization: z.object({ id: z.string().min(1).max(255), display_name: z.string().max(255).optional() }).optional(),
});

/** A URL, or "" to clear. */
export const webhookUrlOverrideField = z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).transform((v) => (v === '' ? null : v));

/** Latest accepted expiry: the end of year 9999 (ISO 8601 without expansion). */
const LAST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A credentials expiry: an ISO 8601 timestamp from 1970 to 9999 (year 0 or a 30 February is no expiry anyone was given). */
export const expiryField = z.iso
  .datetime({ offset: true })
  // Zod runs refinements after a failed format too: an unparseable value is already reported.
  .refine((text) => Number.isNaN(Date.parse(text)) || (Date.parse(text) >= 0 && Date.parse(text) <= LAST_EXPIRY_MS), 'must be a date from 1970 to 9999');
const raw = z.record(z.string(), z.unknown()).optional();

/** The credentials of an import, one shape per auth mode. */
export const importCredentialsField = z.discriminatedUnion('type', [
  z.object({ type: z.literal('OAUTH2'), access_token: z.string().min(1), refresh_token: z.string().min(1).optional(), expires_at: expiryField.optional(), raw, config_override: raw }),
  z.object({ type: z.literal('OAUTH2_CC'), token: z.string().min(1), expires_at: expiryField.optional(), client_id: z.string().min(1), client_secret: z.string().min(1), raw }),
  z.object({ type: z.literal('OAUTH1'), oauth_token: z.string().min(1), oauth_token_secret: z.string().min(1), raw }),
  z.object({ type: z.literal('API_KEY'), apiKey: z.string().min(1) }),
  z.object({ type: z.literal('BASIC'), username: z.string().min(1), password: z.string() }),
  z.object({ type: z.literal('NONE') }),
]);

export const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
