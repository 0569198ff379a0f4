/**
 * The one place catalog templates are filled in. URLs take connection config only, each value
 * checked for where it lands in the URL; headers may also take credentials. `A || B`: the first
 * alternative whose placeholders all have values wins (a half-filled URL is never produced).
 */
import { ConnectionConfigError, CustodianError } from '../src/errors';
import type { ProviderEntry } from './catalog-schema';
import { headerValue, lookupValue, missingValues, paramValue, urlValue, type PlaceholderSources } from './placeholder-values';
import { parseTemplate, placeholdersOf, urlPositions, type Placeholder, type PlaceholderSource, type TemplatePart } from './template';
import { urlProblem } from './url-rules';

/** What a URL or parameter template is filled from. */
export interface InterpolationInput {
  /** The provider entry: its `connection_config` field patterns govern the values. */
  readonly entry: Pick<ProviderEntry, 'connection_config'>;
  readonly connectionConfig?: Readonly<Record<string, unknown>>;
}

/** What a header template is filled from: connection config and the connection's credentials. */
export interface HeaderInterpolationInput extends InterpolationInput {
  /** `apiKey`, `username`, `password`, `access_token`… (`${apiKey}` reads `credentials.apiKey`). */
  readonly credentials?: Readonly<Record<string, unknown>>;
}

// URLs end up in logs, browser history and Referer headers: credentials only ever go into headers.
const URL_SOURCES: readonly PlaceholderSource[] = ['connectionConfig'];
const HEADER_SOURCES: readonly PlaceholderSource[] = ['connectionConfig', 'credentials'];

type Render = (parts: readonly TemplatePart[], values: readonly (string | undefined)[], sources: PlaceholderSources) => string;

/** Fills a URL template (`https://${connectionConfig.subdomain}.zendesk.com`); throws `ConnectionConfigError`. */
export function interpolateUrl(template: string, input: InterpolationInput): string {
  return fill(template, sourcesOf(input), renderUrl, URL_SOURCES);
}

/** Fills a header value template (`Bearer ${apiKey}`); throws `ConnectionConfigError` without echoing values. */
export function interpolateHeader(template: string, input: HeaderInterpolationInput): string {
  return fill(template, { ...sourcesOf(input), credentials: input.credentials }, renderHeader, HEADER_SOURCES);
}

/**
 * Fills a map of header templates. A header whose only missing values are optional
 * connection-config fields is left out (e.g. Stripe's `stripe-account` when no connected account is given).
 */
export function interpolateHeaders(headers: Readonly<Record<string, string>>, input: HeaderInterpolationInput): Record<string, string> {
  const filled: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers)) {
    try {
      filled[name] = interpolateHeader(template, input);
    } catch (error) {
      if (!(error instanceof ConnectionConfigError && error.code === 'missing_connection_config' && onlyOptionalMissing(template, input))) throw error;
    }
  }
  return filled;
}

/** Fills a query-parameter value template (connection config only); the caller URL-encodes the result. */
export function interpolateParam(template: string, input: InterpolationInput): string {
  return fill(template, sourcesOf(input), renderParam, URL_SOURCES);
}

/**
 * Fills a `proxy.query` template, which may take credentials: the one place a secret goes into a URL,
 * because the provider accepts it nowhere else (`?api_key=…`). Such URLs are only ever sent, never
 * logged: messages show a URL's origin and path only.
 */
export function interpolateQueryCredential(template: string, input: HeaderInterpolationInput): string {
  return fill(template, { ...sourcesOf(input), credentials: input.credentials }, renderParam, HEADER_SOURCES);
}

function fill(template: string, sources: PlaceholderSources, render: Render, allowed: readonly PlaceholderSource[]): string {
  const parsed = parseTemplate(template);
  const foreign = placeholdersOf(parsed).find((placeholder) => !allowed.includes(placeholder.source));
  // The catalog schema already refuses this; checked again so no caller can ever put a secret into a URL.
  if (foreign) throw new CustodianError('invalid_template', `\${${foreign.expression}} cannot be used here (only ${allowed.join(', ')})`);
  const missing: Placeholder[] = [];
  for (const parts of parsed.alternatives) {
    const values = parts.map((part) => ('placeholder' in part ? lookupValue(part.placeholder, sources) : undefined));
    const absent = parts.flatMap((part, index) => ('placeholder' in part && values[index] === undefined ? [part.placeholder] : []));
    if (absent.length === 0) return render(parts, values, sources);
    missing.push(...absent);
  }
  throw missingValues(missing);
}

const renderUrl: Render = (parts, values, sources) => {
  const positions = urlPositions(parts);
  let placeholderIndex = 0;
  const hostPlaceholders: Placeholder[] = [];
  const text = parts
    .map((part, index) => {
      if ('literal' in part) return part.literal;
      const position = positions[placeholderIndex++] ?? 'path';
      if (position === 'host' || position === 'base' || position === 'port') hostPlaceholders.push(part.placeholder);
      return urlValue(part.placeholder, values[index] ?? '', position, sources);
    })
    .join('');
  const problem = urlProblem(text);
  if (problem) {
    // Values were checked one by one; this catches combinations (e.g. an empty host) the checks cannot see alone.
    const culprit = hostPlaceholders[0];
    const path = culprit ? [culprit.source === 'connectionConfig' ? 'connection_config' : 'credentials', culprit.key] : [];
    throw new ConnectionConfigError('invalid_connection_config', `Invalid value for ${culprit?.expression ?? 'the URL'}: the resulting URL ${problem}`, path);
  }
  return text;
};

const renderHeader: Render = (parts, values, sources) =>
  parts.map((part, index) => ('literal' in part ? part.literal : headerValue(part.placeholder, values[index] ?? '', sources))).join('');

const renderParam: Render = (parts, values, sources) =>
  parts.map((part, index) => ('literal' in part ? part.literal : paramValue(part.placeholder, values[index] ?? '', sources))).join('');

function onlyOptionalMissing(template: string, input: HeaderInterpolationInput): boolean {
  const sources = { ...sourcesOf(input), credentials: input.credentials };
  return parseTemplate(template).alternatives.every((parts) =>
    parts.every((part) => {
      if (!('placeholder' in part) || lookupValue(part.placeholder, sources) !== undefined) return true;
      return part.placeholder.source === 'connectionConfig' && input.entry.connection_config?.[part.placeholder.key]?.optional === true;
    }),
  );
}

function sourcesOf(input: InterpolationInput): PlaceholderSources {
  return { connectionConfig: input.connectionConfig, fields: input.entry.connection_config };
}
