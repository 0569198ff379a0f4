/**
 * Obtaining a TWO_STEP token: the signed JWT or assertion the entry asks for, the token request (or
 * refresh request), each of its `additional_steps` fed the earlier answers, and the token read from the
 * last answer with the entry's `token_response` paths.
 */
import { ConnectionConfigError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import type { TwoStepCredentials } from '../credentials';
import { ProviderCallError } from '../calls/provider-call-error';
import type { TokenRequestSources } from '../interpolate';
import type { CallContext, ConnectionConfig, IntegrationClient, Obtained } from './auth-mode';
import { jwtAssertionTemplate, signJwt, signedTokenTemplate } from './jwt-assertion';
import { samlAssertion } from './saml-assertion';
import { readTokenResponse, valueAt } from './token-response-paths';
import { presets, withoutReserved, type Fields } from './two-step-fields';
import { sendTokenStep, type StepTemplate } from './two-step-request';

// A typed value the entry does not mark secret is redacted from messages only from this length on: a short
// one (a region, a user name) is as likely to be an ordinary word of the message.
const MIN_PLAIN_SECRET_LENGTH = 6;

/** What one token is obtained from. */
export interface ObtainInput {
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
export async function obtain(input: ObtainInput, call: CallContext): Promise<Obtained<TwoStepCredentials>> {
  const { entry, refreshToken } = input;
  const credentials: Fields = { ...input.typed, ...presets(entry, input.client) };
  const base: TokenRequestSources = { entry, connectionConfig: input.connectionConfig, credentials, assertionOption: input.assertionOption ?? {} };
  const signed = signedTokenTemplate(entry);
  const token = signed ? signJwt(signed, base, call.now) : undefined;
  const assertion = jwtAssertion(entry, base, call.now) ?? samlAssertion(entry, base, call.now);
  const sources: TokenRequestSources = { ...base, credentials: assertion === undefined ? credentials : { ...credentials, assertion } };
  const secrets = [...secretValues(entry, credentials, input.assertionOption ?? {}), token ?? '', assertion ?? '', refreshToken ?? ''];
  const first = firstStep(entry, refreshToken !== undefined);
  // An additional step without its own body format takes the entry's.
  const steps = [first, ...(entry.additional_steps ?? []).map((step) => ({ ...step, body_format: step.body_format ?? first.body_format }))];
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

/**
 * What the requests must never show: every value of a field the entry marks secret (and every assertion
 * option), whatever its length; other typed values when long enough to be told apart from ordinary text.
 */
function secretValues(entry: ProviderEntry, credentials: Fields, assertionOption: Fields): string[] {
  const secret = (key: string) => entry.credentials?.[key]?.secret === true || entry.integration_config?.[key]?.secret === true;
  const typed = Object.entries(credentials).flatMap(([key, value]) => (secret(key) || value.length >= MIN_PLAIN_SECRET_LENGTH ? [value] : []));
  return [...typed, ...Object.values(assertionOption)].filter((value) => value !== '');
}

/** The entry's token request, or its refresh request (Aspire, NetSapiens, Timify, Valley, Salesmsg). */
function firstStep(entry: ProviderEntry, refresh: boolean): StepTemplate {
  const tokenUrl = entry.token_url ?? '';
  // `query` is an OAUTH2_CC format the catalog schema refuses for TWO_STEP (no credential goes into a URL's query unasked).
  const bodyFormat = entry.body_format === 'query' ? undefined : entry.body_format;
  const common = { token_request_method: entry.token_request_method, body_format: bodyFormat };
  if (!refresh) return { ...common, token_url: tokenUrl, token_params: entry.token_params, token_headers: entry.token_headers };
  return { ...common, token_url: entry.refresh_url ?? tokenUrl, token_params: entry.refresh_token_params, token_headers: entry.refresh_token_headers ?? entry.token_headers };
}


function jwtAssertion(entry: ProviderEntry, sources: TokenRequestSources, now: Date): string | undefined {
  const template = jwtAssertionTemplate(entry);
  return template ? signJwt(template, sources, now) : undefined;
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
