/**
 * The two signed calls of the OAuth 1.0a three-legged flow (RFC 5849 §2): the temporary credentials
 * request at `request_url` (the request token, with our `oauth_callback`) and the token request at
 * `token_url` (the access token, for the `oauth_verifier` the callback brought back). Both are
 * POSTs without a body; every protocol parameter travels in the signed `Authorization: OAuth …`
 * header, as Nango's client sends them. Answers are form-encoded (§2.1, §2.3); JSON is read too.
 *
 * Calls go through {@link callProvider} (no answer, 5xx, 408 and 429 are transient); what a refusal is
 * here — any other non-2xx, or a 2xx carrying an `oauth_problem` (OAuth Problem Reporting) — is said below.
 */
import type { ProviderEntry } from '../catalog-schema';
import { CustodianError } from '../../src/errors';
import { callProvider, type ProviderAnswer, type ProviderFetch } from '../calls/call-provider';
import { interpolateUrl } from '../interpolate';
import { hostKeysOf } from '../user-hosts';
import type { ConnectionConfig } from './auth-mode';
import { oauth1AuthorizationHeader } from './oauth1-signing';

/** A fetch implementation (the global one by default). */
export type OAuth1Fetch = ProviderFetch;

interface CallInput {
  readonly entry: ProviderEntry;
  /** The integration's client id / secret. */
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly fetch?: OAuth1Fetch;
  /** PROVIDER_TIMEOUT or the entry's `request_timeout`. */
  readonly timeoutMs: number;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: a URL whose host comes from connection config may not reach the private network. */
  readonly refusePrivateUserHosts?: boolean;
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
    userChosenHost: userChosenHost(input.entry, 'request_url', input.connectionConfig),
    name: 'request token endpoint',
    oauthParams: { oauth_callback: input.callbackUrl },
    refusedCode: 'invalid_client',
    secrets: [],
  });
  // §2.1: the server must confirm the callback; an OAuth 1.0 (no "a") server would not send a verifier back.
  const confirmed = answer.params['oauth_callback_confirmed'];
  if (confirmed !== undefined && confirmed !== 'true') throw answer.refused('provider_rejected', ' without confirming the callback URL');
  return { token: answer.token, tokenSecret: answer.tokenSecret };
}

/** Exchanges the request token and the callback's verifier for the access token at `token_url`. */
export async function exchangeVerifier(input: ExchangeVerifierInput): Promise<OAuth1TokenSet> {
  const url = endpoint(input.entry, 'token_url', input.connectionConfig ?? {});
  const answer = await call(input, {
    url,
    userChosenHost: userChosenHost(input.entry, 'token_url', input.connectionConfig ?? {}),
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
  /** The URL's host comes from connection config. */
  readonly userChosenHost: boolean;
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
  readonly token: string;
  readonly tokenSecret: string;
  readonly params: Record<string, string>;
  refused: ProviderAnswer['refused'];
}

async function call(input: CallInput, request: SignedCall): Promise<Answer> {
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
  const answer = await callProvider({
    provider: input.entry.display_name,
    endpoint: request.name,
    url: request.url,
    method: 'POST',
    headers: { authorization, accept: 'application/x-www-form-urlencoded, application/json;q=0.9, */*;q=0.5' },
    // A redirect is an answer (refused below): following it would send the signed request where nobody checked.
    redirect: 'manual',
    timeoutMs: input.timeoutMs,
    refusePrivateTargets: input.refusePrivateUserHosts === true && request.userChosenHost,
    // With PLAINTEXT the signature in the header is the consumer and token secrets themselves.
    secrets: [input.consumerSecret, authorization, ...request.secrets],
    describeBody: (body) => problemOf(parseAnswer(body)),
    fetch: input.fetch,
  });
  const params = parseAnswer(answer.body);
  if (!answer.ok) throw answer.refused(answer.status === 401 ? request.refusedCode : 'provider_rejected');
  const token = params['oauth_token'];
  const tokenSecret = params['oauth_token_secret'];
  if (!token || !tokenSecret) {
    // A 2xx with an oauth_problem is a refusal; one without the token pair is a garbled answer, maybe passing.
    if (problemOf(params) !== '') throw answer.refused('provider_rejected');
    throw answer.unusable('provider_malformed_response', ' without oauth_token and oauth_token_secret');
  }
  return { token, tokenSecret, params, refused: answer.refused };
}

function endpoint(entry: ProviderEntry, key: 'request_url' | 'token_url', connectionConfig: ConnectionConfig): string {
  const template = entry[key];
  if (template === undefined) throw new CustodianError(`missing_${key}`, `The provider has no ${key}`);
  return interpolateUrl(template, { entry, connectionConfig });
}

function userChosenHost(entry: ProviderEntry, key: 'request_url' | 'token_url', connectionConfig: ConnectionConfig): boolean {
  const template = entry[key];
  return template !== undefined && hostKeysOf(template, connectionConfig) !== undefined;
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
function problemOf(params: Record<string, string>): string {
  const problem = params['oauth_problem'];
  if (problem === undefined || problem === '') return '';
  return ` (${problem.replace(/[^\w.:-]/g, '_').slice(0, 64)})`;
}
