/**
 * OAUTH1: the three-legged flow of RFC 5849 (request token, redirect, verifier exchange); tokens do not
 * expire and are checked now and then against the entry's verification endpoint.
 *
 * The request token is obtained in `begin`, in the API request that redirects the browser: the browser
 * must be sent to the provider with that token in this very response. Its secret is kept, encrypted, on
 * the attempt for the exchange once the callback arrives. The callback carries `oauth_token` and
 * `oauth_verifier`, not our state, so the state rides in the callback URL we register.
 */
import { z } from 'zod';
import { CustodianError } from '../../src/errors';
import type { OAuth1Credentials } from '../credentials';
import { interpolateUrl } from '../interpolate';
import type { AuthModeStrategy, BeginInput, CallContext, CompleteInput, Obtained, OutgoingRequest, Redirect, RenewInput, RenewResult } from './auth-mode';
import { mergeAuthorizationParams } from './authorization-params';
import { AuthorizationError, requireClientForFlow, textOf } from './authorization-error';
import { rawField, secretStrings } from './import-fields';
import { missingLegacyField, requireClientForRenewal } from './oauth2';
import { oauth1AuthorizationHeader } from './oauth1-signing';
import { exchangeVerifier, getRequestToken } from './oauth1-token-request';
import { withHeaders } from './outgoing-request';
import { appendQuery } from './query-string';
import { sendVerification } from './send-verification';
import { buildVerificationRequest } from './verification-request';

// Trello, the main OAuth 1.0a provider taking scopes, separates them with commas.
const DEFAULT_SCOPE_SEPARATOR = ',';

const importSchema = z.object({ type: z.literal('OAUTH1'), oauth_token: z.string().min(1), oauth_token_secret: z.string().min(1), raw: rawField });

/** The OAUTH1 strategy. */
export const oauth1: AuthModeStrategy<OAuth1Credentials> = {
  authMode: 'OAUTH1',
  connect: { kind: 'redirect' },
  completing: 'exchanging the verifier',
  begin,
  complete,
  importSchema,
  fromImport: (body) => {
    const parsed = body as z.output<typeof importSchema>;
    return { ...parsed, raw: parsed.raw ?? {} };
  },
  fromLegacyImport: (body) => {
    const token = textOf(body.oauth_token);
    const tokenSecret = textOf(body.oauth_token_secret);
    if (!token) throw missingLegacyField('oauth_token', 'OAUTH1');
    if (!tokenSecret) throw missingLegacyField('oauth_token_secret', 'OAUTH1');
    return { type: 'OAUTH1', oauth_token: token, oauth_token_secret: tokenSecret, raw: (body.raw as Record<string, unknown> | undefined) ?? {} };
  },
  checksImports: false,
  // RSA-SHA1 cannot be signed (see oauth1-signing.ts): checking would fail every day without saying
  // anything about the credentials, so such connections are left alone, like ones without verification.
  upkeep: (entry) => ({ kind: entry.proxy?.verification && entry.signature_method !== 'RSA-SHA1' ? 'verify' : 'none', beforeExpiry: true }),
  renew: verify,
  expiresAt: () => null,
  authorize: (request, { entry, credentials, client }) => signed(request, { ...requireClientForRenewal(client), signatureMethod: entry.signature_method }, credentials),
  secretsOf: (credentials) => secretStrings(credentials.oauth_token, credentials.oauth_token_secret),
};

async function begin(input: BeginInput, call: CallContext): Promise<Redirect> {
  const { entry } = input;
  if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const client = requireClientForFlow(input.client);
  const requestToken = await getRequestToken({
    entry,
    consumerKey: client.clientId,
    consumerSecret: client.clientSecret,
    callbackUrl: appendQuery(input.redirectUri, new Map([['state', input.state]])),
    connectionConfig: input.connectionConfig,
    ...call,
  });
  return { url: oauth1AuthorizationUrl({ ...input, requestToken: requestToken.token }), attemptSecrets: { requestTokenSecret: requestToken.tokenSecret } };
}

/** Input of {@link oauth1AuthorizationUrl}. */
export interface OAuth1AuthorizationUrlInput {
  readonly entry: BeginInput['entry'];
  /** `oauth_token` returned by the provider's `request_url`. */
  readonly requestToken: string;
  readonly connectionConfig: BeginInput['connectionConfig'];
  /** Scopes, for providers that take them on the authorize URL (Trello). */
  readonly scopes?: readonly string[];
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

/** The provider URL to send the browser to, for a request token already obtained (RFC 5849 §2.2). */
export function oauth1AuthorizationUrl(input: OAuth1AuthorizationUrlInput): string {
  const { entry } = input;
  if (entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const params = new Map<string, string>([['oauth_token', input.requestToken]]);
  if (input.scopes !== undefined && input.scopes.length > 0) params.set('scope', input.scopes.join(entry.scope_separator ?? DEFAULT_SCOPE_SEPARATOR));
  mergeAuthorizationParams(params, input);
  return appendQuery(interpolateUrl(entry.authorization_url, input), params);
}

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<OAuth1Credentials>> {
  const { received } = input;
  // A user who refuses is sent back with `denied=<request token>` (X / Twitter) instead of a verifier.
  if (textOf(received.denied) !== undefined) throw new AuthorizationError('authorization_denied', 'The user denied the authorization');
  const requestToken = textOf(received.oauth_token);
  const verifier = textOf(received.oauth_verifier);
  if (!requestToken || !verifier) throw new AuthorizationError('missing_verifier', 'The callback carried no oauth_token and oauth_verifier');
  const requestTokenSecret = input.attemptSecrets.requestTokenSecret;
  if (!requestTokenSecret) throw new AuthorizationError('missing_request_token', 'The attempt holds no request token secret');
  const client = requireClientForFlow(input.client);
  // The callback's oauth_token is not compared with ours: only the request token we were issued is
  // signed with its secret, so the provider refuses any other one (and a wrong verifier).
  const tokens = await exchangeVerifier({ entry: input.entry, consumerKey: client.clientId, consumerSecret: client.clientSecret, requestToken, requestTokenSecret, verifier, connectionConfig: input.connectionConfig, ...call });
  return { credentials: { type: 'OAUTH1', oauth_token: tokens.oauthToken, oauth_token_secret: tokens.oauthTokenSecret, raw: tokens.raw }, expiresAt: null, connectionConfig: {} };
}

/**
 * Sends the entry's verification request signed with the connection's token (consumer = the
 * integration's client), unless the entry declares its own authorization header. A 401/403 is a
 * permanent `credentials_rejected` (sendVerification).
 */
async function verify(input: RenewInput<OAuth1Credentials>, call: CallContext): Promise<RenewResult<OAuth1Credentials>> {
  const { credentials } = input;
  const verificationInput = { entry: input.entry, credentials: { oauth_token: credentials.oauth_token, oauth_token_secret: credentials.oauth_token_secret }, connectionConfig: input.connectionConfig };
  // The signature covers the method and URL, which only the built request knows: build it once to learn
  // them, then again with the signed header as the implicit one (signed only if the entry declares none).
  const unsigned = buildVerificationRequest(verificationInput);
  if (!unsigned) return { kind: 'verified' };
  const client = requireClientForRenewal(input.client);
  const header = signatureHeader({ method: unsigned.method, url: unsigned.url }, { ...client, signatureMethod: input.entry.signature_method }, credentials);
  const request = buildVerificationRequest(verificationInput, () => ({ authorization: header }));
  if (request) await sendVerification(request, { provider: input.entry.display_name, ...call, secrets: secretStrings(credentials.oauth_token, credentials.oauth_token_secret, client.clientSecret) });
  return { kind: 'verified' };
}

interface Consumer {
  clientId: string;
  clientSecret: string;
  signatureMethod?: 'HMAC-SHA1' | 'RSA-SHA1' | 'PLAINTEXT';
}

function signatureHeader(request: { method: string; url: string }, consumer: Consumer, credentials: OAuth1Credentials): string {
  return oauth1AuthorizationHeader({
    method: request.method,
    url: request.url,
    consumerKey: consumer.clientId,
    consumerSecret: consumer.clientSecret,
    token: credentials.oauth_token,
    tokenSecret: credentials.oauth_token_secret,
    signatureMethod: consumer.signatureMethod,
  });
}

function signed(request: OutgoingRequest, consumer: Consumer, credentials: OAuth1Credentials): OutgoingRequest {
  return withHeaders(request, { authorization: signatureHeader({ method: request.method, url: request.url.toString() }, consumer, credentials) });
}
