/**
 * One templated token request of a TWO_STEP entry (the first, or one of its `additional_steps`): the
 * URL, headers and parameters filled from the sources, the body encoded as form, JSON or XML, sent as
 * GET or POST through {@link callProvider}. A non-2xx answer is a permanent refusal (the OAuth code
 * when the body carries one); the answer's body comes back parsed (JSON, XML, else the text).
 */
import { ConnectionConfigError } from '../../src/errors';
import { callProvider } from '../calls/call-provider';
import type { ErrorCode } from '../../src/errors';
import type { ProviderEntry, TokenParamValue } from '../catalog-schema';
import { interpolateTokenHeader, interpolateTokenParam, interpolateTokenUrl, type TokenRequestSources } from '../interpolate';
import { lookupValue } from '../placeholder-values';
import { parseTemplate, placeholdersOf, urlPositions, type Placeholder } from '../template';
import type { CallContext } from './auth-mode';
import { requestContext, type RequestContextInput } from './request-context';
import { parseXml, toXml } from './xml-body';

/** The templates of one request. */
export interface StepTemplate {
  readonly token_url: string;
  readonly token_params?: Readonly<Record<string, TokenParamValue>>;
  readonly token_headers?: Readonly<Record<string, string>>;
  readonly token_request_method?: 'GET' | 'POST';
  readonly body_format?: 'form' | 'json' | 'xml';
}

/** Input of {@link sendTokenStep}. */
export interface TokenStepInput {
  readonly entry: ProviderEntry;
  readonly step: StepTemplate;
  /** Everything but the per-request values, which are computed here. */
  readonly sources: TokenRequestSources;
  readonly context: Omit<RequestContextInput, 'now'>;
  readonly call: CallContext;
  /** What the provider is told this endpoint is, in messages (`token endpoint`, `token endpoint (step 2)`). */
  readonly endpoint: string;
  /** Secret values the request may carry, kept out of every message (whatever their length). */
  readonly secrets: readonly string[];
}

/** What a step's endpoint answered. */
export interface TokenStepAnswer {
  /** Parsed JSON or XML, else the text as received. */
  readonly body: unknown;
  readonly headers: Headers;
}

const CONTENT_TYPES = { form: 'application/x-www-form-urlencoded', json: 'application/json', xml: 'application/xml' } as const;
const REFUSAL_CODES = new Set<string>(['invalid_grant', 'invalid_client', 'unauthorized_client'] satisfies ErrorCode[]);
const TEMPORARY_ERRORS = new Set(['temporarily_unavailable', 'server_error']);
// Rendered values shorter than this are ordinary words as often as secrets; redacting them would garble
// messages (ports, status codes). The caller's own secrets are redacted whatever their length.
const MIN_REDACTED_LENGTH = 6;

/** Sends one step and returns the provider's (2xx) answer; throws ProviderCallError otherwise. */
export async function sendTokenStep(input: TokenStepInput): Promise<TokenStepAnswer> {
  const { entry, step, call } = input;
  const context = requestContext([step.token_url, step.token_params, step.token_headers], { ...input.context, now: call.now });
  const sources: TokenRequestSources = { ...input.sources, context };
  // Nango's default body format.
  const format = step.body_format ?? 'json';
  const method = step.token_request_method ?? 'POST';
  const url = interpolateTokenUrl(step.token_url, sources);
  const sent: string[] = [];
  const headers = filledHeaders(step.token_headers ?? {}, sources, entry, sent);
  const params = filledParams(step.token_params ?? {}, sources, entry, sent);
  const body = method === 'GET' ? undefined : encodeBody(params, format);
  if (body !== undefined && !('content-type' in headers)) headers['content-type'] = CONTENT_TYPES[format];
  const answer = await callProvider({
    provider: entry.display_name,
    endpoint: input.endpoint,
    url,
    method,
    headers,
    body,
    // A token endpoint's redirect is its answer: following it would resend the credentials elsewhere.
    redirect: 'manual',
    timeoutMs: call.timeoutMs,
    refusePrivateTargets: call.refusePrivateUserHosts === true && hasChosenHost(step.token_url),
    secrets: [...input.secrets, ...sent.filter((value) => value.length >= MIN_REDACTED_LENGTH)],
    describeBody: (text) => describe(oauthErrorOf(text)),
    now: call.now,
    fetch: call.fetch,
  });
  const oauthError = oauthErrorOf(answer.body);
  if (oauthError && TEMPORARY_ERRORS.has(oauthError.error)) throw answer.unusable('provider_server_error');
  if (!answer.ok) throw answer.refused(oauthError && REFUSAL_CODES.has(oauthError.error) ? (oauthError.error as ErrorCode) : 'provider_rejected');
  return { body: parseAnswer(answer.body, format, answer.headers.get('content-type')), headers: answer.headers };
}

function filledHeaders(templates: Readonly<Record<string, string>>, sources: TokenRequestSources, entry: ProviderEntry, sent: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) {
    const value = filledOrOmitted(template, sources, entry, interpolateTokenHeader);
    if (value === undefined) continue;
    headers[name.toLowerCase()] = value;
    if (template.includes('${')) sent.push(value, value.replace(/^\S+\s+/, ''));
  }
  return headers;
}

function filledParams(templates: Readonly<Record<string, TokenParamValue>>, sources: TokenRequestSources, entry: ProviderEntry, sent: string[]): Record<string, TokenParamValue> {
  const params: Record<string, TokenParamValue> = {};
  for (const [name, template] of Object.entries(templates)) {
    if (typeof template !== 'string') {
      params[name] = filledParams(template, sources, entry, sent);
      continue;
    }
    const value = filledOrOmitted(template, sources, entry, interpolateTokenParam);
    if (value === undefined) continue;
    params[name] = value;
    if (template.includes('${')) sent.push(value);
  }
  return params;
}

/**
 * The filled template, or undefined when the only values it lacks belong to optional fields (Sage
 * Intacct's `session_id` when a username is given instead): the parameter or header is then left out.
 */
function filledOrOmitted(template: string, sources: TokenRequestSources, entry: ProviderEntry, fill: (template: string, sources: TokenRequestSources) => string): string | undefined {
  try {
    return fill(template, sources);
  } catch (error) {
    if (!(error instanceof ConnectionConfigError && error.code === 'missing_connection_config')) throw error;
    const lookup = { connectionConfig: sources.connectionConfig, credentials: sources.credentials, assertionOption: sources.assertionOption, step: sources.step, context: sources.context };
    const missing = placeholdersOf(parseTemplate(template)).filter((placeholder) => lookupValue(placeholder, lookup) === undefined);
    if (missing.length > 0 && missing.every((placeholder) => isOptionalField(placeholder, entry))) return undefined;
    throw error;
  }
}

function isOptionalField(placeholder: Placeholder, entry: ProviderEntry): boolean {
  const group = placeholder.source === 'connectionConfig' ? entry.connection_config : placeholder.source === 'credentials' ? entry.credentials : placeholder.source === 'assertionOption' ? entry.assertion_option : undefined;
  return group?.[placeholder.key]?.optional === true;
}

function encodeBody(params: Readonly<Record<string, TokenParamValue>>, format: 'form' | 'json' | 'xml'): string {
  switch (format) {
    case 'json':
      return JSON.stringify(params);
    case 'xml':
      return toXml(params);
    case 'form':
      // A form is flat: a nested parameter goes as its JSON text (no entry nests one in a form).
      return new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)])).toString();
  }
}

function parseAnswer(text: string, format: 'form' | 'json' | 'xml', contentType: string | null): unknown {
  if (format === 'xml' || /[/+]xml\b/i.test(contentType ?? '')) return parseXml(text) ?? text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Whether the URL's host (in some alternative) comes from a value: connection config or an earlier step's answer. */
function hasChosenHost(template: string): boolean {
  return parseTemplate(template).alternatives.some((parts) => urlPositions(parts).some((position) => position === 'base' || position === 'host' || position === 'port'));
}

interface OAuthError {
  readonly error: string;
  readonly description?: string;
}

/** An OAuth-style error body (`{"error": "...", "error_description": "..."}`), its code cut to a short token. */
function oauthErrorOf(body: string): OAuthError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, error_description: description } = json as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string' || error === '') return undefined;
  return {
    error: error.replace(/[^\w.:-]/g, '_').slice(0, 64),
    ...(typeof description === 'string' && description.trim() !== '' ? { description: description.replace(/\s+/g, ' ').trim() } : {}),
  };
}

function describe(oauthError: OAuthError | undefined): string {
  if (!oauthError) return '';
  return ` (${oauthError.error})${oauthError.description === undefined ? '' : `: ${oauthError.description}`}`;
}
