/**
 * The fake provider's NetSuite TBA endpoint: `GET /tba/verify` takes `Authorization: OAuth realm="…",
 * oauth_consumer_key="…", oauth_token="…", oauth_signature_method="HMAC-SHA256", …` and recomputes the
 * signature over the RFC 5849 §3.4.1 base string (method, base URI, sorted parameters: query and
 * oauth_* except realm and the signature) with key `consumer secret & token secret`. 2xx when the
 * consumer, token, realm and signature hold; 401 otherwise.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FakeProvider } from '../fake-provider';

export interface FakeTbaOptions {
  readonly consumer: { readonly key: string; readonly secret: string };
  readonly tokens: ReadonlyArray<{ readonly id: string; readonly secret: string }>;
  /** The account's realm (`123456_SB1`). */
  readonly realm: string;
}

export type TbaVerdict = 'valid' | 'missing' | 'wrong_method' | 'wrong_realm' | 'unknown_consumer' | 'unknown_token' | 'bad_signature';

export interface FakeTbaEndpoint {
  readonly verdicts: TbaVerdict[];
}

/** Mounts `GET /tba/verify`; registers the consumer and token secrets for history audits. */
export function mountFakeTba(provider: FakeProvider, options: FakeTbaOptions): FakeTbaEndpoint {
  const endpoint: FakeTbaEndpoint = { verdicts: [] };
  provider.rememberSecrets(options.consumer.secret, ...options.tokens.map((token) => token.secret));
  provider.mount('GET', '/tba/verify', ({ req, url }) => {
    const verdict = check(req, url, options, provider.url);
    endpoint.verdicts.push(verdict);
    return verdict === 'valid' ? { status: 200, body: { items: [] } } : { status: 401, body: { 'o:errorDetails': [{ detail: verdict, 'o:errorCode': 'INVALID_LOGIN' }] } };
  });
  return endpoint;
}

function check(req: IncomingMessage, url: URL, options: FakeTbaOptions, base: string): TbaVerdict {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('OAuth ')) return 'missing';
  const params = Object.fromEntries([...header.slice('OAuth '.length).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1] ?? '', decodeURIComponent(m[2] ?? '')]));
  if (params['oauth_signature_method'] !== 'HMAC-SHA256') return 'wrong_method';
  if (params['realm'] !== options.realm) return 'wrong_realm';
  if (params['oauth_consumer_key'] !== options.consumer.key) return 'unknown_consumer';
  const token = options.tokens.find((candidate) => candidate.id === params['oauth_token']);
  if (!token) return 'unknown_token';
  const signed: Array<[string, string]> = [...url.searchParams.entries()];
  for (const [name, value] of Object.entries(params)) if (name.startsWith('oauth_') && name !== 'oauth_signature') signed.push([name, value]);
  const normalized = signed
    .map(([name, value]) => [encode(name), encode(value)])
    .sort(([a = '', av = ''], [b = '', bv = '']) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const baseUri = `${new URL(base).origin}${url.pathname}`;
  const baseString = ['GET', encode(baseUri), encode(normalized)].join('&');
  const expected = createHmac('sha256', `${encode(options.consumer.secret)}&${encode(token.secret)}`).update(baseString).digest('base64');
  return expected === params['oauth_signature'] ? 'valid' : 'bad_signature';
}

/** RFC 5849 §3.6 percent-encoding (RFC 3986 unreserved characters kept). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
