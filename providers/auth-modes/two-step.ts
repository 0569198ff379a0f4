/**
 * TWO_STEP: the end user types credentials (keys, passwords, a private key…), and a token request the
 * catalog entry templates (URL, headers, form / JSON / XML body, GET or POST; optionally a signed JWT or
 * SAML assertion, a chain of `additional_steps`) turns them into a token, read from the answer with the
 * entry's `token_response` paths. The typed credentials are kept (encrypted) beside the token, so the
 * connection workflow obtains the next token before this one expires ('mint'), with the entry's refresh
 * request when it has one and the answer gave a refresh token ('refresh').
 */
import { z } from 'zod';
import { ConnectionConfigError, ValidationError, type ErrorDetail } from '../../src/errors';
import type { FieldSchema, ProviderEntry } from '../catalog-schema';
import type { TwoStepCredentials } from '../credentials';
import type { DeepReadonly } from '../deep-freeze';
import { ProviderCallError } from '../calls/provider-call-error';
import { interpolateHeaders, type TokenRequestSources } from '../interpolate';
import type { AuthModeStrategy, AuthorizeInput, CallContext, CompleteInput, ConnectionConfig, IntegrationClient, Obtained, OutgoingRequest, RenewInput, RenewResult } from './auth-mode';
import { jwtAssertionTemplate, signJwt, signedTokenTemplate } from './jwt-assertion';
import { requestContext } from './request-context';
import { samlAssertion } from './saml-assertion';
import { readTokenResponse, valueAt } from './token-response-paths';
import { sendTokenStep, type StepTemplate } from './two-step-request';

type Fields = Record<string, string>;

// Keys of the credentials shape itself: a typed field of the same name could never be told apart from them.
const RESERVED = new Set(['type', 'token', 'refresh_token', 'expires_at', 'raw', 'assertionOption']);
const MAX_FIELD_LENGTH = 64 * 1024;
// Typed values shorter than this are not searched for in workflow histories: a region such as `eu` is a
// substring of ordinary words, and no secret worth the name is that short.
const MIN_SECRET_LENGTH = 8;
const LAST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const fieldValue = z.string().max(MAX_FIELD_LENGTH);

/** What the end user submits (`POST /auth/two-step/:key`), as `@nangohq/frontend`'s `auth()` posts it. */
const connectBody = z
  .object({ type: z.literal('TWO_STEP').optional(), assertionOption: z.record(z.string(), fieldValue).optional() })
  .catchall(fieldValue);

const expiry = z.iso
  .datetime({ offset: true })
  .refine((text) => Number.isNaN(Date.parse(text)) || (Date.parse(text) >= 0 && Date.parse(text) <= LAST_EXPIRY_MS), 'must be a date from 1970 to 9999');

/** `POST /connections` credentials: Nango's `TwoStepCredentials` (the typed fields flat beside the token). */
const importSchema = z
  .object({
    type: z.literal('TWO_STEP'),
    token: z.string().min(1).optional(),
    refresh_token: z.string().min(1).optional(),
    expires_at: expiry.optional(),
    raw: z.record(z.string(), z.unknown()).optional(),
    assertionOption: z.record(z.string(), fieldValue).optional(),
  })
  .catchall(fieldValue);

/** The TWO_STEP strategy. */
export const twoStep: AuthModeStrategy<TwoStepCredentials> = {
  authMode: 'TWO_STEP',
  connect: { kind: 'form', routes: ['/auth/two-step/:key'], body: connectBody },
  completing: 'requesting a token with the credentials',
  refusedAs: 'connection_test_failed',
  complete,
  importSchema,
  fromImport,
  // Imported typed credentials are exchanged for a token before they are stored (a refused one stores nothing).
  checksImports: true,
  upkeep: (entry, credentials) => ({ kind: refreshesWith(entry, credentials) ? 'refresh' : 'mint', beforeExpiry: true }),
  renew,
  expiresAt: (credentials) => (credentials.expires_at ? new Date(credentials.expires_at) : null),
  authorize,
  secretsOf,
};

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<TwoStepCredentials>> {
  const { type: _type, assertionOption, ...submitted } = connectBody.parse(input.received);
  const typed = checkedFields(input.entry, withDefaults(input.entry, submitted), input.client);
  return obtain({ entry: input.entry, typed, assertionOption, connectionConfig: input.connectionConfig, client: input.client }, call);
}

async function renew(input: RenewInput<TwoStepCredentials>, call: CallContext): Promise<RenewResult<TwoStepCredentials>> {
  const { credentials, entry } = input;
  const request: ObtainInput = { entry, typed: typedFields(credentials), assertionOption: assertionOptionOf(credentials), connectionConfig: input.connectionConfig, client: input.client };
  let obtained: Obtained<TwoStepCredentials>;
  if (refreshesWith(entry, credentials)) {
    try {
      obtained = await obtain({ ...request, refreshToken: credentials.refresh_token }, call);
    } catch (error) {
      // A refused refresh token is not the end: the typed credentials can still obtain a new token.
      if (!(error instanceof ProviderCallError && error.kind === 'permanent')) throw error;
      obtained = await obtain(request, call);
    }
  } else {
    obtained = await obtain(request, call);
  }
  return { kind: 'renewed', credentials: obtained.credentials, expiresAt: obtained.expiresAt, connectionConfig: obtained.connectionConfig };
}

function fromImport(body: Record<string, unknown>): TwoStepCredentials {
  const parsed = body as z.output<typeof importSchema>;
  const { type: _type, token, refresh_token: refreshToken, expires_at: expiresAt, raw, assertionOption, ...typed } = parsed;
  return {
    ...(typed as Fields),
    ...(assertionOption ? { assertionOption } : {}),
    type: 'TWO_STEP',
    // Without a token the credentials are due at once: the check (or the connection workflow) obtains one.
    token: token ?? '',
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    expires_at: token ? expiresAt : new Date(0).toISOString(),
    raw: raw ?? {},
  };
}

interface ObtainInput {
  readonly entry: ProviderEntry;
  /** The credentials the end user typed (integration presets not included). */
  readonly typed: Fields;
  readonly assertionOption?: Fields;
  readonly connectionConfig: ConnectionConfig;
  readonly client: IntegrationClient;
  /** Set to use the entry's refresh request instead of the token request. */
  readonly refreshToken?: string;
}

/** Runs the entry's token request (or refresh request), then its additional steps, and reads the token from the last answer. */
async function obtain(input: ObtainInput, call: CallContext): Promise<Obtained<TwoStepCredentials>> {
  const { entry, refreshToken } = input;
  const credentials: Fields = { ...input.typed, ...presets(entry, input.client) };
  const base: TokenRequestSources = { entry, connectionConfig: input.connectionConfig, credentials, assertionOption: input.assertionOption ?? {} };
  const signed = signedTokenTemplate(entry);
  const token = signed ? signJwt(signed, base, call.now) : undefined;
  const assertion = jwtAssertion(entry, base, call.now) ?? samlAssertion(entry, base, call.now);
  const sources: TokenRequestSources = { ...base, credentials: assertion === undefined ? credentials : { ...credentials, assertion } };
  const secrets = [...Object.values(credentials), ...Object.values(input.assertionOption ?? {}), token ?? '', assertion ?? '', refreshToken ?? ''];
  const steps = [firstStep(entry, refreshToken !== undefined), ...(entry.additional_steps ?? [])];
  const answers: Record<string, unknown> = {};
  const fromHeaders: Fields = {};
  let last: unknown;
  for (const [index, step] of steps.entries()) {
    const endpoint = index === 0 ? 'token endpoint' : `token endpoint (step ${index + 1})`;
    const answer = await sendTokenStep({ entry, step, sources: { ...sources, step: answers }, context: { token, refreshToken }, call, endpoint, secrets }).catch((error: unknown) => {
      throw unusableStepValue(error, entry, endpoint) ?? error;
    });
    answers[`step${index + 1}`] = answer.body;
    Object.assign(fromHeaders, responseHeaderValues(answer.headers, entry.token_response_headers ?? [], fromHeaders));
    last = answer.body;
  }
  const values = readTokenResponse(last, entry, call.now);
  if (!values) {
    throw new ProviderCallError('provider_malformed_response', 'transient', `The token endpoint of ${entry.display_name} answered without a token at "${entry.token_response?.token ?? ''}"`);
  }
  const raw = isRecord(last) ? last : {};
  return {
    credentials: {
      ...input.typed,
      ...(input.assertionOption && Object.keys(input.assertionOption).length > 0 ? { assertionOption: input.assertionOption } : {}),
      ...withoutReserved(fromHeaders),
      type: 'TWO_STEP',
      token: values.token,
      // A refresh answer without a new refresh token leaves the one we have in force.
      ...(values.refreshToken ?? refreshToken ? { refresh_token: values.refreshToken ?? refreshToken } : {}),
      ...(values.expiresAt ? { expires_at: values.expiresAt.toISOString() } : {}),
      raw,
    },
    expiresAt: values.expiresAt,
    connectionConfig: responseMetadata(raw, entry.token_response_metadata ?? []),
  };
}

/**
 * An earlier step's answer that lacks a value the next request needs, or holds one it cannot use (a
 * next endpoint that is not an https URL): the provider's answer is malformed (transient), which says
 * nothing about the credentials.
 */
function unusableStepValue(error: unknown, entry: ProviderEntry, endpoint: string): ProviderCallError | undefined {
  if (!(error instanceof ConnectionConfigError) || error.errors?.[0]?.path[0] !== 'step') return undefined;
  return new ProviderCallError('provider_malformed_response', 'transient', `The ${endpoint} of ${entry.display_name} could not be built from the previous answer: ${error.message}`);
}

/** The entry's token request, or its refresh request (Aspire, NetSapiens, Timify, Valley, Salesmsg). */
function firstStep(entry: ProviderEntry, refresh: boolean): StepTemplate {
  const tokenUrl = entry.token_url ?? '';
  const common = { token_request_method: entry.token_request_method, body_format: entry.body_format };
  if (!refresh) return { ...common, token_url: tokenUrl, token_params: entry.token_params, token_headers: entry.token_headers };
  return { ...common, token_url: entry.refresh_url ?? tokenUrl, token_params: entry.refresh_token_params, token_headers: entry.refresh_token_headers ?? entry.token_headers };
}

function refreshesWith(entry: ProviderEntry, credentials: TwoStepCredentials): credentials is TwoStepCredentials & { refresh_token: string } {
  return (entry.refresh_token_params !== undefined || entry.refresh_token_headers !== undefined) && typeof credentials.refresh_token === 'string' && credentials.refresh_token !== '';
}

function jwtAssertion(entry: ProviderEntry, sources: TokenRequestSources, now: Date): string | undefined {
  const template = jwtAssertionTemplate(entry);
  return template ? signJwt(template, sources, now) : undefined;
}

/** Values the integration presets for every connection (`integration_config` fields set in its custom settings). */
function presets(entry: ProviderEntry, client: IntegrationClient): Fields {
  const values: Fields = {};
  for (const key of Object.keys(entry.integration_config ?? {})) {
    const value = client.custom[key];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

/** Hidden fields with a default (Datto RMM's public client) take it when the end user gave none. */
function withDefaults(entry: ProviderEntry, submitted: Fields): Fields {
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
function checkedFields(entry: ProviderEntry, typed: Fields, client: IntegrationClient): Fields {
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
function typedFields(credentials: TwoStepCredentials): Fields {
  const typed: Fields = {};
  for (const [key, value] of Object.entries(credentials)) {
    if (!RESERVED.has(key) && !key.startsWith('_') && typeof value === 'string') typed[key] = value;
  }
  return typed;
}

function assertionOptionOf(credentials: TwoStepCredentials): Fields | undefined {
  const value = credentials['assertionOption'];
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * Values of the answer's headers named by `token_response_headers`: each cookie of `set-cookie` by name,
 * and all of them as `_cookies` (`name=value; …`, SAP Business One's session), added to earlier steps'.
 */
function responseHeaderValues(headers: Headers, names: readonly string[], earlier: Fields): Fields {
  const values: Fields = {};
  for (const name of names) {
    if (name.toLowerCase() !== 'set-cookie') {
      const value = headers.get(name);
      if (value !== null) values[name] = value;
      continue;
    }
    const pairs = headers.getSetCookie().flatMap((cookie) => {
      const pair = cookie.split(';')[0] ?? '';
      const equals = pair.indexOf('=');
      if (equals <= 0) return [];
      const cookieName = pair.slice(0, equals).trim();
      values[cookieName] = pair.slice(equals + 1).trim();
      return [`${cookieName}=${values[cookieName]}`];
    });
    if (pairs.length > 0) values['_cookies'] = [earlier['_cookies'], ...pairs].filter(Boolean).join('; ');
  }
  return values;
}

function withoutReserved(values: Fields): Fields {
  return Object.fromEntries(Object.entries(values).filter(([key]) => !RESERVED.has(key)));
}

/**
 * Puts the token on a request: the entry's `proxy.headers` filled with the credentials (`${accessToken}`
 * is the token), and `Authorization: Bearer <token>` unless those headers carry the token themselves
 * (an `${accessToken}` header, or SAP Business One's session cookie), as Nango decides.
 */
function authorize(request: OutgoingRequest, input: AuthorizeInput<TwoStepCredentials>): OutgoingRequest {
  const { entry, credentials } = input;
  const templates = entry.proxy?.headers ?? {};
  const context = requestContext(Object.values(templates), { now: input.now, endpoint: request.url.pathname });
  const declared = interpolateHeaders(templates, { entry, connectionConfig: input.connectionConfig, credentials: { ...credentials, access_token: credentials.token }, context });
  const carriesToken = Object.entries(templates).some(([name, template]) => template.includes('${accessToken}') || (name.toLowerCase() === 'cookie' && template.includes('${credentials._cookies}')));
  const headers: Record<string, string> = { ...request.headers };
  if (!carriesToken) headers['authorization'] = `Bearer ${credentials.token}`;
  for (const [name, value] of Object.entries(declared)) headers[name.toLowerCase()] = value;
  return { ...request, headers };
}

function secretsOf(credentials: TwoStepCredentials): string[] {
  const typed = [...Object.values(typedFields(credentials)), ...Object.values(assertionOptionOf(credentials) ?? {})];
  for (const [key, value] of Object.entries(credentials)) if (key.startsWith('_') && typeof value === 'string') typed.push(value);
  const tokens = [credentials.token, credentials.refresh_token].filter((value): value is string => typeof value === 'string' && value !== '');
  return [...new Set([...tokens, ...typed.filter((value) => value.length >= MIN_SECRET_LENGTH)])];
}

/** Values named by `token_response_metadata` (Salesforce's `instance_url`), top-level names or dotted paths. */
function responseMetadata(raw: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const name of names) {
    const value = valueAt(raw, name);
    if (value !== undefined) metadata[name] = value;
  }
  return metadata;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
