/**
 * The fake provider's WSSE endpoint, like Emarsys': `X-WSSE: UsernameToken Username=…, PasswordDigest=…,
 * Nonce=…, Created=…`. The digest must be base64(hex(SHA-1(nonce + created + secret))) for a known user,
 * Created within the token lifetime of the provider's clock, and each nonce is accepted once.
 */
import { createHash } from 'node:crypto';
import type { FakeProvider } from '../fake-provider';

export interface FakeWsseOptions {
  /** Default `/wsse/verify`. */
  readonly path?: string;
  /** User name → secret. */
  readonly users: Readonly<Record<string, string>>;
  /** How long after Created a token is accepted, in ms. */
  readonly lifetimeMs: number;
  readonly now?: () => Date;
}

export type WsseVerdict = 'valid' | 'missing' | 'malformed' | 'unknown_user' | 'bad_digest' | 'expired' | 'replayed';

export interface FakeWsseEndpoint {
  readonly path: string;
  readonly verdicts: WsseVerdict[];
}

const FIELD = /(\w+)="([^"]*)"/g;

/** Mounts `GET <path>`; registers the users' secrets and every token shown for history audits. */
export function mountFakeWsse(provider: FakeProvider, options: FakeWsseOptions): FakeWsseEndpoint {
  const endpoint: FakeWsseEndpoint = { path: options.path ?? '/wsse/verify', verdicts: [] };
  const seenNonces = new Set<string>();
  provider.rememberSecrets(...Object.values(options.users));
  provider.mount('GET', endpoint.path, ({ req }) => {
    const header = req.headers['x-wsse'];
    const verdict = typeof header === 'string' ? check(header, options, seenNonces, provider) : 'missing';
    endpoint.verdicts.push(verdict);
    return verdict === 'valid' ? { status: 200, body: { replyCode: 0, replyText: 'OK' } } : { status: 401, body: { replyCode: 1, replyText: verdict } };
  });
  return endpoint;
}

function check(header: string, options: FakeWsseOptions, seenNonces: Set<string>, provider: FakeProvider): WsseVerdict {
  provider.rememberSecrets(header);
  if (!header.startsWith('UsernameToken ')) return 'malformed';
  const fields = Object.fromEntries([...header.matchAll(FIELD)].map((match) => [match[1] ?? '', match[2] ?? '']));
  const { Username: username, PasswordDigest: digest, Nonce: nonce, Created: created } = fields;
  if (username === undefined || digest === undefined || nonce === undefined || created === undefined || Number.isNaN(Date.parse(created))) return 'malformed';
  const secret = options.users[username];
  if (secret === undefined) return 'unknown_user';
  const expected = Buffer.from(createHash('sha1').update(nonce + created + secret).digest('hex')).toString('base64');
  if (digest !== expected) return 'bad_digest';
  const age = (options.now?.() ?? new Date()).getTime() - Date.parse(created);
  if (age > options.lifetimeMs) return 'expired';
  if (seenNonces.has(nonce)) return 'replayed';
  seenNonces.add(nonce);
  return 'valid';
}
