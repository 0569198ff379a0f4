/**
 * The one place catalog templates are filled in. URLs take connection config only, each value
 * checked for where it lands in the URL; headers may also take credentials. `A || B`: the first
 * alternative whose placeholders all have values wins (a half-filled URL is never produced).
 * The token requests of TWO_STEP entries also draw on earlier steps' answers and per-request values
 * (see {@link TokenRequestSources}).
 */
import { createHash } from 'node:crypto';
import { ConnectionConfigError, CustodianError } from '../src/errors';
import type { ProviderEntry } from './catalog-schema';
import { headerValue, lookupValue, missingValues, paramValue, urlValue, type PlaceholderSources } from './placeholder-values';
import { parseTemplate, placeholdersOf, placeholdersOfParts, urlPositions, type Placeholder, type PlaceholderSource, type TemplateCall, type TemplateOptions, type TemplatePart } from './template';
import { publicKeyFingerprint } from './template-functions';
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
  /** Values computed for this request (`random`, `now:…`, `endpoint`…), keyed by their expression. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** What the templates of a TWO_STEP token request (URL, headers, parameters) are filled from. */
export interface TokenRequestSources extends HeaderInterpolationInput {
  /** The answers of earlier steps: `{ step1: {...}, step2: {...} }`. */
  readonly step?: Readonly<Record<string, unknown>>;
  /** Values the end user gave only to build an assertion (a private key), never stored. */
  readonly assertionOption?: Readonly<Record<string, unknown>>;
}

// URLs end up in logs, browser history and Referer headers: credentials only ever go into headers.
const URL_SOURCES: readonly PlaceholderSource[] = ['connectionConfig'];
const HEADER_SOURCES: readonly PlaceholderSource[] = ['connectionConfig', 'credentials', 'context'];
const TOKEN_REQUEST_SOURCES: readonly PlaceholderSource[] = ['connectionConfig', 'credentials', 'context', 'step', 'assertionOption'];

type Render = (parts: readonly TemplatePart[], sources: PlaceholderSources) => string;

/** Fills a URL template (`https://${connectionConfig.subdomain}.zendesk.com`); throws `ConnectionConfigError`. */
export function interpolateUrl(template: string, input: InterpolationInput): string {
  return fill(template, sourcesOf(input), renderUrl, URL_SOURCES);
}

/** Fills a header value template (`Bearer ${apiKey}`); throws `ConnectionConfigError` without echoing values. */
export function interpolateHeader(template: string, input: HeaderInterpolationInput): string {
  return fill(template, { ...sourcesOf(input), credentials: input.credentials, context: input.context }, renderHeader, HEADER_SOURCES);
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

/**
 * Fills a template of a credential made here (a JWT claim, its signing key): connection config, checked
 * against its field's pattern, and credentials as they are (a PEM key keeps its line breaks); `||` is text.
 */
export function interpolateLocalToken(template: string, input: HeaderInterpolationInput): string {
  return fill(template, { ...sourcesOf(input), credentials: input.credentials }, renderParam, HEADER_SOURCES, { literalOr: true });
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

/**
 * Fills the URL of a TWO_STEP token request step. Connection config may sit anywhere (checked for its
 * position); an earlier step's answer only as the whole base URL (`${step1.instance_url}/token`: a
 * provider naming its own next endpoint); credentials and per-request values only in the query (JobDiva,
 * Leapsome: the provider takes them there), where they are encoded and never shown in messages.
 */
export function interpolateTokenUrl(template: string, input: TokenRequestSources): string {
  return fill(template, tokenRequestSourcesOf(input), renderTokenUrl, TOKEN_REQUEST_SOURCES);
}

/** Fills a header value of a TWO_STEP token request step (every source; control characters refused). */
export function interpolateTokenHeader(template: string, input: TokenRequestSources): string {
  return fill(template, tokenRequestSourcesOf(input), renderHeader, TOKEN_REQUEST_SOURCES);
}

/** Fills a body parameter (or JWT / SAML assertion field) of a TWO_STEP token request step (every source). */
export function interpolateTokenParam(template: string, input: TokenRequestSources): string {
  return fill(template, tokenRequestSourcesOf(input), renderParam, TOKEN_REQUEST_SOURCES);
}

function fill(template: string, sources: PlaceholderSources, render: Render, allowed: readonly PlaceholderSource[], options: TemplateOptions = {}): string {
  const parsed = parseTemplate(template, options);
  const foreign = placeholdersOf(parsed).find((placeholder) => !allowed.includes(placeholder.source));
  // The catalog schema already refuses this; checked again so no caller can ever put a secret into a URL.
  if (foreign) throw new CustodianError('invalid_template', `\${${foreign.expression}} cannot be used here (only ${allowed.join(', ')})`);
  const missing: Placeholder[] = [];
  for (const parts of parsed.alternatives) {
    const absent = placeholdersOfParts(parts).filter((placeholder) => lookupValue(placeholder, sources) === undefined);
    if (absent.length === 0) return render(parts, sources);
    missing.push(...absent);
  }
  throw missingValues(missing);
}

/** The value of a placeholder known to be present. */
function valueOf(placeholder: Placeholder, sources: PlaceholderSources): string {
  return lookupValue(placeholder, sources) ?? '';
}

/** A function over a nested template: its argument's values go in as they are (each checked like a parameter). */
function applyCall(call: TemplateCall, sources: PlaceholderSources): string {
  const text = renderParam(call.argument, sources);
  switch (call.fn) {
    case 'base64':
      return Buffer.from(text, 'utf8').toString('base64');
    case 'sha256Hex':
      return createHash('sha256').update(text, 'utf8').digest('hex');
    case 'fingerprint':
      return publicKeyFingerprint(text, call.expression);
  }
}

const renderUrl: Render = (parts, sources) => renderUrlParts(parts, sources, ['connectionConfig']);

const renderTokenUrl: Render = (parts, sources) => renderUrlParts(parts, sources, ['connectionConfig', 'step', 'credentials', 'context']);

function renderUrlParts(parts: readonly TemplatePart[], sources: PlaceholderSources, allowed: readonly PlaceholderSource[]): string {
  const positions = urlPositions(parts);
  let placeholderIndex = 0;
  const hostPlaceholders: Placeholder[] = [];
  const text = parts
    .map((part) => {
      if ('literal' in part) return part.literal;
      if (!('placeholder' in part)) throw new CustodianError('invalid_template', `\${${part.call.expression}} cannot be used in a URL`);
      const { placeholder } = part;
      const position = positions[placeholderIndex++] ?? 'path';
      if (!allowed.includes(placeholder.source) || !sourceMaySit(placeholder.source, position)) {
        throw new CustodianError('invalid_template', `\${${placeholder.expression}} cannot stand in the ${position} of a URL`);
      }
      if (position === 'host' || position === 'base' || position === 'port') hostPlaceholders.push(placeholder);
      return urlValue(placeholder, valueOf(placeholder, sources), position, sources);
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
}

/** Where in a URL each source may sit: step answers as whole bases, credentials and computed values in the query only. */
function sourceMaySit(source: PlaceholderSource, position: string): boolean {
  switch (source) {
    case 'connectionConfig':
      return true;
    case 'step':
      return position === 'base';
    case 'credentials':
    case 'context':
      return position === 'query';
    case 'assertionOption':
      return false;
  }
}

const renderHeader: Render = (parts, sources) =>
  parts.map((part) => ('literal' in part ? part.literal : 'call' in part ? applyCall(part.call, sources) : headerValue(part.placeholder, valueOf(part.placeholder, sources), sources))).join('');

const renderParam: Render = (parts, sources) =>
  parts.map((part) => ('literal' in part ? part.literal : 'call' in part ? applyCall(part.call, sources) : paramValue(part.placeholder, valueOf(part.placeholder, sources), sources))).join('');

function onlyOptionalMissing(template: string, input: HeaderInterpolationInput): boolean {
  const sources = { ...sourcesOf(input), credentials: input.credentials, context: input.context };
  return parseTemplate(template).alternatives.every((parts) =>
    placeholdersOfParts(parts).every((placeholder) => {
      if (lookupValue(placeholder, sources) !== undefined) return true;
      return placeholder.source === 'connectionConfig' && input.entry.connection_config?.[placeholder.key]?.optional === true;
    }),
  );
}

function sourcesOf(input: InterpolationInput): PlaceholderSources {
  return { connectionConfig: input.connectionConfig, fields: input.entry.connection_config };
}

function tokenRequestSourcesOf(input: TokenRequestSources): PlaceholderSources {
  return { ...sourcesOf(input), credentials: input.credentials, context: input.context, step: input.step, assertionOption: input.assertionOption };
}
