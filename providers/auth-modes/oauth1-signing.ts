/**
 * Signs a request made with OAuth 1.0a credentials (RFC 5849 §3): the `Authorization: OAuth …` header
 * value, computed by the `oauth-1.0a` package. The consumer key / secret are the integration's client
 * id / secret; the token / token secret are the connection's `oauth_token` / `oauth_token_secret`.
 *
 * Signature methods: HMAC-SHA1 (node:crypto) and PLAINTEXT. RSA-SHA1 signs with the consumer's RSA
 * private key, which an integration does not hold (it only has a client id and secret), so it is
 * refused with a CustodianError `unsupported_signature_method` rather than signed wrongly.
 */
import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { CustodianError } from '../../src/errors';

/** OAuth 1.0a signature methods; HMAC-SHA256 is NetSuite's (token-based authentication), not in RFC 5849. */
export type OAuth1SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1' | 'PLAINTEXT';

export interface OAuth1SigningInput {
  readonly method: string;
  /** The full request URL; its query parameters take part in the signature. */
  readonly url: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  /** Absent in a request token call (RFC 5849 §2.1), which is signed with the consumer secret alone. */
  readonly token?: string;
  readonly tokenSecret?: string;
  /**
   * Extra protocol parameters sent in the header and signed: `oauth_callback` of a request token call
   * (RFC 5849 §2.1), `oauth_verifier` of a token call (§2.3).
   */
  readonly oauthParams?: Readonly<Record<`oauth_${string}`, string>>;
  /** The entry's `signature_method`; HMAC-SHA1 (as in Nango) when the entry names none. */
  readonly signatureMethod?: OAuth1SignatureMethod;
  /** The header's `realm` (RFC 5849 §3.5.1: sent, never signed); NetSuite wants its account id there. */
  readonly realm?: string;
  /** Fixed nonce / timestamp (seconds), for known-answer tests only; fresh ones otherwise. */
  readonly nonce?: string;
  readonly timestamp?: number;
}

/** The value of the `Authorization` header (`OAuth oauth_consumer_key="…", …`) for this request. */
export function oauth1AuthorizationHeader(input: OAuth1SigningInput): string {
  const signatureMethod = input.signatureMethod ?? 'HMAC-SHA1';
  const oauth = new OAuth({
    consumer: { key: input.consumerKey, secret: input.consumerSecret },
    signature_method: signatureMethod,
    hash_function: hashFunction(signatureMethod),
    ...(input.realm === undefined ? {} : { realm: input.realm }),
  });
  if (input.nonce !== undefined) {
    const nonce = input.nonce;
    oauth.getNonce = () => nonce;
  }
  if (input.timestamp !== undefined) {
    const timestamp = input.timestamp;
    oauth.getTimeStamp = () => timestamp;
  }
  // oauth-1.0a reads query parameters out of the URL itself, but splits on '?' only (the fragment and a
  // non-normalised host would leak into the base string) and does not form-decode '+'. So the base URL
  // is normalised here (RFC 5849 §3.4.1.2: lower-case scheme and host, default port dropped, no
  // query or fragment) and the query is handed over, decoded, as request data (§3.4.1.3.1).
  const parsed = new URL(input.url);
  const extra = input.oauthParams ?? {};
  const request = { method: input.method.toUpperCase(), url: `${parsed.protocol}//${parsed.host}${parsed.pathname}`, data: { ...queryData(parsed.searchParams), ...extra } };
  // oauth-1.0a signs request data but only puts its own parameters in the header: the extra protocol
  // parameters are added to them after signing.
  const token = input.token === undefined ? undefined : { key: input.token, secret: input.tokenSecret ?? '' };
  const signed = oauth.authorize(request, token);
  return oauth.toHeader({ ...signed, ...extra }).Authorization;
}

function hashFunction(signatureMethod: OAuth1SignatureMethod): OAuth.HashFunction {
  switch (signatureMethod) {
    case 'HMAC-SHA1':
      return (baseString, key) => createHmac('sha1', key).update(baseString).digest('base64');
    case 'HMAC-SHA256':
      return (baseString, key) => createHmac('sha256', key).update(baseString).digest('base64');
    case 'PLAINTEXT':
      // §3.4.4: the signature is the signing key itself ("consumer_secret&token_secret", each encoded).
      return (_baseString, key) => key;
    case 'RSA-SHA1':
      throw new CustodianError(
        'unsupported_signature_method',
        'OAuth 1.0a RSA-SHA1 signing is not supported: it needs the consumer RSA private key, and an integration only holds a client id and secret',
      );
  }
}

/** Query parameters, repeated names as arrays (oauth-1.0a signs every value). */
function queryData(params: URLSearchParams): Record<string, string | string[]> {
  const data: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    data[name] = values.length === 1 ? values[0]! : values;
  }
  return data;
}
