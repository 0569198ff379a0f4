/** Field schemas shared by the connection routes (API.md §0 and §2 identifiers, tags, end user, credentials). */
import { z } from 'zod';
import { allStrategies } from '../../../providers/auth-modes';

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

/** A credentials expiry (shared with the auth modes' import shapes). */
export { expiryField } from '../../../providers/auth-modes/import-fields';
/** The credentials of an import: one shape per auth mode, each declared by its strategy (discriminated by `type`). */
export const importCredentialsField = z.discriminatedUnion(
  'type',
  allStrategies().map((strategy) => strategy.importSchema) as unknown as [z.ZodObject<{ type: z.ZodLiteral<string> }>, ...z.ZodObject<{ type: z.ZodLiteral<string> }>[]],
);

export const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
