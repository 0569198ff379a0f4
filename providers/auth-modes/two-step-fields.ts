/**
 * The credentials an end user types for a TWO_STEP entry: checked against the entry's `credentials`
 * fields (required, pattern), completed with hidden defaults and the integration's presets
 * (`integration_config`), and told apart, once stored, from the token and what came with it.
 */
import { ValidationError, type ErrorDetail } from '../../src/errors';
import type { FieldSchema, ProviderEntry } from '../catalog-schema';
import type { TwoStepCredentials } from '../credentials';
import type { DeepReadonly } from '../deep-freeze';
import type { IntegrationClient } from './auth-mode';

/** Field name → value. */
export type Fields = Record<string, string>;

/** Keys of the credentials shape itself: a typed field of the same name could never be told apart from them. */
export const RESERVED = new Set(['type', 'token', 'refresh_token', 'expires_at', 'raw', 'assertionOption']);

/** Values the integration presets for every connection (`integration_config` fields set in its custom settings). */
export function presets(entry: ProviderEntry, client: IntegrationClient): Fields {
  const values: Fields = {};
  for (const key of Object.keys(entry.integration_config ?? {})) {
    const value = client.custom[key];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

/** Hidden fields with a default (Datto RMM's public client) take it when the end user gave none. */
export function withDefaults(entry: ProviderEntry, submitted: Fields): Fields {
  const filled = { ...submitted };
  for (const [key, field] of Object.entries(entry.credentials ?? {})) {
    if ((filled[key] === undefined || filled[key] === '') && field.default_value !== undefined) filled[key] = field.default_value;
  }
  return filled;
}

/**
 * The typed fields, checked against the entry: every required field present (unless the integration
 * presets it), every value matching its field's pattern, no reserved name. Refusals are 400 `invalid_body`.
 */
export function checkedFields(entry: ProviderEntry, typed: Fields, client: IntegrationClient): Fields {
  const preset = presets(entry, client);
  const errors: ErrorDetail[] = [];
  for (const [key, field] of Object.entries(entry.credentials ?? {})) {
    const value = typed[key];
    if (value === undefined || value === '') {
      if (isRequired(field) && preset[key] === undefined) errors.push({ code: 'missing_field', message: `${field.title || key} is required`, path: [key] });
    } else if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`).test(value)) {
      errors.push({ code: 'invalid_format', message: `must match ${field.pattern}`, path: [key] });
    }
  }
  for (const key of Object.keys(typed)) if (RESERVED.has(key)) errors.push({ code: 'reserved_field', message: `${key} is not a credential field`, path: [key] });
  // The message names each problem too: an attempt's outcome carries its message, not the details.
  const problems = errors.map((error) => `${error.path.join('.')}: ${error.message}`).join('; ');
  if (errors.length > 0) throw new ValidationError('invalid_body', `The credentials are incomplete or malformed: ${problems}`, { errors });
  return Object.fromEntries(Object.entries(typed).filter(([key, value]) => value !== '' && preset[key] === undefined));
}

function isRequired(field: DeepReadonly<FieldSchema>): boolean {
  // An automated field (an assertion) is computed; the others are typed.
  return field.optional !== true && field.automated !== true;
}

/** The stored typed fields: everything that is not the token, its metadata or values taken from response headers. */
export function typedFields(credentials: TwoStepCredentials): Fields {
  const typed: Fields = {};
  for (const [key, value] of Object.entries(credentials)) {
    if (!RESERVED.has(key) && !key.startsWith('_') && typeof value === 'string') typed[key] = value;
  }
  return typed;
}

/** The values kept to sign assertions again (`assertion_option` fields). */
export function assertionOptionOf(credentials: TwoStepCredentials): Fields | undefined {
  const value = credentials['assertionOption'];
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** `values` without the keys of the credentials shape. */
export function withoutReserved(values: Fields): Fields {
  return Object.fromEntries(Object.entries(values).filter(([key]) => !RESERVED.has(key)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
