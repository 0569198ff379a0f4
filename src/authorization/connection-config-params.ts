/**
 * The `params[<key>]=` values a browser sends when it starts an authorization: the connection config
 * (subdomain, region…). Values of fields the provider declares must match the field's pattern and
 * required fields must be present, so nothing unchecked reaches a provider URL.
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import { ValidationError, type ErrorDetail } from '../errors';

/** Refuses values outside their field's pattern and missing required fields; hidden and defaulted fields are filled in. */
export function checkConnectionConfig(entry: Pick<ProviderEntry, 'connection_config'>, config: Record<string, unknown>): Record<string, unknown> {
  const problems: ErrorDetail[] = [];
  const checked = { ...config };
  for (const [key, field] of Object.entries(entry.connection_config ?? {})) {
    const value = checked[key];
    if (value === undefined || value === '') {
      if (field.default_value !== undefined) checked[key] = field.default_value;
      // `automated` fields are filled from the token response, after the authorization.
      else if (field.optional !== true && field.hidden !== true && field.automated !== true) problems.push({ code: 'missing', message: `${field.title} is required`, path: ['params', key] });
      continue;
    }
    if (typeof value !== 'string') {
      problems.push({ code: 'invalid_type', message: `${field.title} must be text`, path: ['params', key] });
      continue;
    }
    if (field.pattern !== undefined && !new RegExp(field.pattern).test(value)) {
      problems.push({ code: 'invalid_string', message: `${field.title} does not have the expected format`, path: ['params', key] });
    }
  }
  if (problems.length > 0) throw new ValidationError('invalid_connection_config', 'The connection configuration is incomplete or invalid', { errors: problems });
  return checked;
}
