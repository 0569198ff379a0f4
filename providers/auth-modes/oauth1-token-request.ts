/**
 * The two signed calls of the OAuth 1.0a three-legged flow (RFC 5849 §2): the temporary credentials
 * request at `request_url` (the request token, with our `oauth_callback`) and the token request at
 * `token_url` (the access token, for the `oauth_verifier` the callback brought back). Both are
 * POSTs without a body; every protocol parameter travels in the signed `Authorization: OAuth …`
 * header, as Nango's client sends them. Answers are form-encoded (§2.1, §2.3); JSON is read too.
 *
 * Failures become a {@link ProviderCallError}: no answer, 5xx, 408 and 429 are transient; any other
 * refusal is permanent. Messages name the endpoint, the status and the provider's `oauth_problem`
 * (OAuth Problem Reporting), never a token, secret or verifier.
 */
import type { ProviderEntry } from '../catalog-schema';
import { CustodianError } from '../../src/errors';
import { interpolateUrl } from '../interpolate';
import type { ConnectionConfig } from './auth-mode';
import { oauth1AuthorizationHeader } from './oauth1-signing';
import { ProviderCallError, retryAfter } from './provider-call-error';

/** A fetch implementation (the global one by default). */
export type OAuth1Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** OAuth 1.0a token endpoint calls give up after 15 seconds. */
export const OAUTH1_TIMEOUT_MS = 15_000;

interface CallInput {
  readonly entry: ProviderEntry;
  /** The integration's client id / secret. */
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly fetch?: OAuth1Fetch;
  readonly timeoutMs?: number;
}

/** Input of {@link getRequestToken}. */
export interface GetRequestTokenInput extends CallInput {
  /** Where the provider sends the browser back; it carries our state (the attempt id). */
  readonly callbackUrl: string;
  /** Fills `${connectionConfig.x}` in `request_url`. */
  readonly connectionConfig: ConnectionConfig;
}

/** Input of {@link exchangeVerifier}. */
export interface ExchangeVerifierInput extends CallInput {
  readonly requestToken: string;
  readonly requestTokenSecret: string;
  /** `oauth_verifier` of the callback. */
  readonly verifier: string;
  /** Fills `${connectionConfig.x}` in `token_url`. */
  readonly connectionConfig?: ConnectionConfig;
}

/** Temporary credentials (RFC 5849 §2.1). */
export interface RequestToken {
  readonly token: string;
  readonly tokenSecret: string;
}

/** Token credentials (RFC 5849 §2.3); `raw` is the whole answer (Twitter adds `user_id`, `screen_name`). */
export interface OAuth1TokenSet {
  readonly oauthToken: string;
  readonly oauthTokenSecret: string;
  readonly raw: Record<string, unknown>;
}

/** Obtains a request token at `request_url`, sending `oauth_callback` (signed with the consumer secret alone). */
export async function getRequestToken(input: GetRequestTokenInput): Promise<RequestToken> {
  const url = endpoint(input.entry, 'request_url', input.connectionConfig);
  const answer = await call(input, {
    url,
    name: 'request token endpoint',
    oauthParams: { oauth_callback: input.callbackUrl },
    refusedCode: 'invalid_client',
    secrets: [],
  });
  // §2.1: the server must confirm the callback; an OAuth 1.0 (no "a") server would not send a verifier back.
  const confirmed = answer.params['oauth_callback_confirmed'];
  if (confirmed !== undefined && confirmed !== 'true') {
    throw new ProviderCallError('provider_rejected', 'permanent', `The request token endpoint ${answer.endpoint} did not confirm the callback URL`, { httpStatus: answer.status });
  }
  return { token: answer.token, tokenSecret: answer.tokenSecret };
}

/** Exchanges the request token and the callback's verifier for the access token at `token_url`. */
export async function exchangeVerifier(input: ExchangeVerifierInput): Promise<OAuth1TokenSet> {
  const url = endpoint(input.entry, 'token_url', input.connectionConfig ?? {});
  const answer = await call(input, {
    url,
    name: 'token endpoint',
    token: input.requestToken,
    tokenSecret: input.requestTokenSecret,
    oauthParams: { oauth_verifier: input.verifier },
    refusedCode: 'invalid_grant',
    secrets: [input.requestToken, input.requestTokenSecret, input.verifier],
  });
  return { oauthToken: answer.token, oauthTokenSecret: answer.tokenSecret, raw: answer.params };
}

interface SignedCall {
  readonly url: string;
  /** How messages name the endpoint. */
  readonly name: string;
  readonly token?: string;
  readonly tokenSecret?: string;
  readonly oauthParams: Readonly<Record<`oauth_${string}`, string>>;
  /** Code of a 401: the consumer (request token call) or the request token / verifier (token call) was refused. */
  readonly refusedCode: 'invalid_client' | 'invalid_grant';
  /** Values besides the consumer secret that must never appear in a message. */
  readonly secrets: readonly string[];
}

interface Answer {
  readonly endpoint: string;
  readonly status: number;
  readonly token: string;
  readonly tokenSecret: string;
  readonly params: Record<string, string>;
}

async function call(input: CallInput, request: SignedCall): Promise<Answer> {
  const endpoint = `${request.name} ${endpointName(request.url)}`;
  const authorization = oauth1AuthorizationHeader({
    method: 'POST',
    url: request.url,
    consumerKey: input.consumerKey,
    consumerSecret: input.consumerSecret,
    token: request.token,
    tokenSecret: request.tokenSecret,
    oauthParams: request.oauthParams,
    signatureMethod: input.entry.signature_method,
  });
  const signal = AbortSignal.timeout(input.timeoutMs ?? OAUTH1_TIMEOUT_MS);
  let status: number;
  let headers: Headers;
  let body: string;
  try {
    const response = await (input.fetch ?? fetch)(request.url, { method: 'POST', headers: { authorization, accept: 'application/x-www-form-urlencoded, application/json;q=0.9, */*;q=0.5' }, signal });
    status = response.status;
    headers = response.headers;
    body = await response.text();
  } catch (error) {
    if (signal.aborted) throw new ProviderCallError('provider_timeout', 'transient', `The ${endpoint} did not answer in time`);
    throw new ProviderCallError('provider_unreachable', 'transient', `Could not reach the ${endpoint}${networkReason(error)}`, { cause: error });
  }
  const params = parseAnswer(body);
  const answered = `The ${endpoint} answered ${status}`;
  const options = { httpStatus: status };
  if (status === 429 || status >= 500) {
    // These calls run in an API request or an activity, never in workflow code: the wall clock is the clock.
    const retryAfterMs = retryAfter(headers.get('retry-after'), new Date());
    throw new ProviderCallError(status === 429 ? 'provider_rate_limited' : 'provider_server_error', 'transient', answered, { ...options, retryAfterMs });
  }
  if (status === 408) throw new ProviderCallError('provider_timeout', 'transient', `${answered} (request timeout)`, options);
  const problem = problemOf(params, [input.consumerSecret, ...request.secrets]);
  if (status < 200 || status >= 300) throw new ProviderCallError(status === 401 ? request.refusedCode : 'provider_rejected', 'permanent', `${answered}${problem}`, options);
  const token = params['oauth_token'];
  const tokenSecret = params['oauth_token_secret'];
  if (!token || !tokenSecret) {
    // A 2xx with an oauth_problem is a refusal; one without the token pair is a garbled answer, maybe passing.
    if (problem !== '') throw new ProviderCallError('provider_rejected', 'permanent', `${answered}${problem}`, options);
    throw new ProviderCallError('provider_malformed_response', 'transient', `${answered} without oauth_token and oauth_token_secret`, options);
  }
  return { endpoint: endpointName(request.url), status, token, tokenSecret, params };
}

function endpoint(entry: ProviderEntry, key: 'request_url' | 'token_url', connectionConfig: ConnectionConfig): string {
  const template = entry[key];
  if (template === undefined) throw new CustodianError(`missing_${key}`, `The provider has no ${key}`);
  return interpolateUrl(template, { entry, connectionConfig });
}

/** A form-encoded answer (RFC 5849 §2.1), or a flat JSON object of strings from providers that answer JSON. */
function parseAnswer(body: string): Record<string, string> {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [[k, String(v)]] : [])));
      }
    } catch {
      return {};
    }
  }
  // An HTML error page parses into nonsense names, which no lookup below reads.
  return Object.fromEntries(new URLSearchParams(text));
}

/** ` (oauth_problem)` when the provider reported one; kept to a short token so a provider cannot smuggle text through it. */
function problemOf(params: Record<string, string>, secrets: readonly string[]): string {
  const problem = params['oauth_problem'];
  if (problem === undefined || problem === '') return '';
  const redacted = secrets.filter((secret) => secret !== '').reduce((out, secret) => out.split(secret).join('[redacted]'), problem);
  return ` (${redacted.replace(/[^\w.:-]/g, '_').slice(0, 64)})`;
}

function endpointName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function networkReason(error: unknown): string {
  // fetch() rejects with TypeError('fetch failed') whose cause carries the system error code (ECONNREFUSED, ENOTFOUND…).
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `: ${code}` : '';
}
