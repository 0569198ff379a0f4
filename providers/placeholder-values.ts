/**
 * Looking up and checking the value of one placeholder. Messages name the field and the rule
 * broken, never the value: connection config can hold keys too, and credentials always do.
 */
import { ConnectionConfigError } from '../src/errors';
import type { FieldSchema } from './catalog-schema';
import type { DeepReadonly } from './deep-freeze';
import type { Placeholder, UrlPosition } from './template';
import { baseUrlValue, isHostValue } from './url-rules';

/** Values a template may draw from. */
export interface PlaceholderSources {
  readonly connectionConfig?: Readonly<Record<string, unknown>>;
  readonly credentials?: Readonly<Record<string, unknown>>;
  readonly assertionOption?: Readonly<Record<string, unknown>>;
  /** Earlier token request steps' answers, `{ step1: {...} }` (keys are `step1.path`). */
  readonly step?: Readonly<Record<string, unknown>>;
  /** Values computed for one request, keyed by their expression (`random`, `now:YYYY-MM-DD`…). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** The entry's `connection_config` field schemas (their `pattern` applies to the values). */
  readonly fields?: DeepReadonly<Record<string, FieldSchema>>;
}

/** Applies to a connection-config value whose field declares no pattern. */
export const DEFAULT_VALUE_PATTERN = /^[A-Za-z0-9._-]+$/;

// Header injection: a CR or LF would start a new header line; other controls are refused by HTTP clients anyway.
const CONTROL_CHARACTERS = /\p{Cc}/u;
const compiledPatterns = new Map<string, RegExp>();

/** The value, or undefined when absent or blank (so a `||` fallback can take over). */
export function lookupValue(placeholder: Placeholder, sources: PlaceholderSources): string | undefined {
  const value = valueAtKey(sources[placeholder.source], placeholder.key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw refused(placeholder, 'must be a string');
}

/** `key` itself, else its dotted path (`raw.accountID`, `step1.token_endpoint`), in `source`. */
function valueAtKey(source: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  if (source === undefined) return undefined;
  if (Object.hasOwn(source, key)) return source[key];
  if (!key.includes('.')) return undefined;
  let node: unknown = source;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The text to insert for a connection-config value at this place in a URL; throws when refused. */
export function urlValue(placeholder: Placeholder, value: string, position: UrlPosition, sources: PlaceholderSources): string {
  if (position === 'base') return baseValue(placeholder, value, sources);
  checkPattern(placeholder, value, position, sources);
  switch (position) {
    case 'host':
      // Anything that could end the host (`/`, `?`, `#`, `@`, `:`, spaces, look-alike dots) is refused outright.
      if (!isHostValue(value)) throw refused(placeholder, 'must be a host name part (letters, digits, ".", "-", "_")');
      return value;
    case 'port':
      if (!/^\d{1,5}$/.test(value)) throw refused(placeholder, 'must be a port number');
      return value;
    case 'path':
      // `..` would climb out of the templated path on the same host.
      if (value === '.' || value === '..') throw refused(placeholder, 'must not be a relative path segment');
      return encodeURIComponent(value);
    case 'query':
    case 'fragment':
      return encodeURIComponent(value);
  }
}

/** The text to insert in a header value; throws when refused. */
export function headerValue(placeholder: Placeholder, value: string, sources: PlaceholderSources): string {
  if (placeholder.source === 'connectionConfig') checkPattern(placeholder, value, 'header', sources);
  if (CONTROL_CHARACTERS.test(value)) throw refused(placeholder, 'must not contain control characters');
  return value;
}

/** The text of a query-parameter value (the caller encodes it); throws when refused. */
export function paramValue(placeholder: Placeholder, value: string, sources: PlaceholderSources): string {
  checkPattern(placeholder, value, 'param', sources);
  return value;
}

/** The error for absent values, naming every placeholder that could have satisfied the template. */
export function missingValues(placeholders: readonly Placeholder[]): ConnectionConfigError {
  const names = [...new Set(placeholders.map((placeholder) => placeholder.expression))];
  const message = names.length === 1 ? `Missing value for ${names[0]}` : `Missing value for one of: ${names.join(', ')}`;
  return new ConnectionConfigError('missing_connection_config', message, pathOf(placeholders[0]));
}

function baseValue(placeholder: Placeholder, value: string, sources: PlaceholderSources): string {
  // Patterns describe the canonical form, which has no trailing slash.
  const trimmed = value.replace(/\/+$/, '');
  checkPattern(placeholder, trimmed, 'base', sources);
  const base = baseUrlValue(trimmed);
  if (base === undefined) throw refused(placeholder, 'must be an https URL such as https://example.com/api, without query or fragment');
  return base;
}

function checkPattern(placeholder: Placeholder, value: string, position: UrlPosition | 'header' | 'param', sources: PlaceholderSources): void {
  if (placeholder.source !== 'connectionConfig') return;
  const declared = sources.fields?.[placeholder.key]?.pattern;
  // A base URL always contains ":" and "/", so the default pattern cannot apply; baseUrlValue() checks its shape.
  if (declared === undefined && position === 'base') return;
  const pattern = declared === undefined ? DEFAULT_VALUE_PATTERN : anchored(declared);
  if (!pattern.test(value)) throw refused(placeholder, declared === undefined ? `must match ${DEFAULT_VALUE_PATTERN.source}` : `must match ${declared}`);
}

// A catalog pattern without ^…$ would accept any value that merely contains a match.
function anchored(pattern: string): RegExp {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    compiled = new RegExp(`^(?:${pattern})$`);
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

function refused(placeholder: Placeholder, rule: string): ConnectionConfigError {
  return new ConnectionConfigError('invalid_connection_config', `Invalid value for ${placeholder.expression}: ${rule}`, pathOf(placeholder));
}

function pathOf(placeholder: Placeholder | undefined): string[] {
  if (!placeholder) return [];
  const group = { connectionConfig: 'connection_config', credentials: 'credentials', assertionOption: 'assertionOption', step: 'step', context: 'context' }[placeholder.source];
  return [group, placeholder.key];
}
