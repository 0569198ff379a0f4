/**
 * The fake provider's JWT endpoint: like Ghost's or Snowflake's API, it takes a JWT from a header
 * (`Authorization: <scheme> <token>`), checks its signature with the key it was given (an HMAC secret
 * or the public half of the key pair), its header (`alg`, `kid`), its claims (exact values expected) and
 * its lifetime (`iat` not in the future, `exp` not past, not longer-lived than allowed). 2xx when all
 * hold, 401 otherwise; every verdict is recorded.
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { FakeProvider, FakeRouteRequest } from '../fake-provider';

/** What the endpoint expects. */
export interface FakeJwtOptions {
  /** Default `/jwt/verify`. */
  readonly path?: string;
  /** Default `authorization`. */
  readonly header?: string;
  /** The word before the token (`Bearer`, `Ghost`). */
  readonly scheme: string;
  readonly algorithm: string;
  /** HMAC secret bytes, or the public key of the pair. */
  readonly key: Buffer | KeyObject;
  readonly kid?: string;
  /** Claims that must be present with exactly these values. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Claims that must be absent. */
  readonly absentClaims?: readonly string[];
  /** The longest `exp - iat` accepted, in seconds. */
  readonly maxLifetimeSeconds: number;
  /** The provider's clock (default: the wall clock). */
  readonly now?: () => Date;
}

export type JwtVerdict = 'valid' | 'missing' | 'malformed' | 'wrong_header' | 'bad_signature' | 'wrong_claims' | 'not_yet_valid' | 'expired' | 'too_long_lived';

/** One token the endpoint was shown. */
export interface JwtCheck {
  readonly verdict: JwtVerdict;
  readonly header?: Record<string, unknown>;
  readonly claims?: Record<string, unknown>;
}

/** The mounted endpoint's record. */
export interface FakeJwtEndpoint {
  readonly path: string;
  readonly checks: JwtCheck[];
}

// A provider allows a little clock skew between its clock and the signer's.
const SKEW_SECONDS = 30;

/** Mounts `GET <path>` on `provider`; every token it is shown is registered as a secret for history audits. */
export function mountFakeJwt(provider: FakeProvider, options: FakeJwtOptions): FakeJwtEndpoint {
  const endpoint: FakeJwtEndpoint = { path: options.path ?? '/jwt/verify', checks: [] };
  provider.mount('GET', endpoint.path, (request) => {
    const check = checkToken(request, options, provider);
    endpoint.checks.push(check);
    return check.verdict === 'valid' ? { status: 200, body: { ok: true, claims: check.claims } } : { status: 401, body: { errors: [{ type: 'UnauthorizedError', context: check.verdict }] } };
  });
  return endpoint;
}

function checkToken({ req }: FakeRouteRequest, options: FakeJwtOptions, provider: FakeProvider): JwtCheck {
  const value = req.headers[options.header ?? 'authorization'];
  const prefix = `${options.scheme} `;
  if (typeof value !== 'string' || !value.startsWith(prefix)) return { verdict: 'missing' };
  const token = value.slice(prefix.length);
  provider.rememberSecrets(token);
  const parts = token.split('.');
  if (parts.length !== 3) return { verdict: 'malformed' };
  const [encodedHeader = '', encodedClaims = '', encodedSignature = ''] = parts;
  const header = decodeJson(encodedHeader);
  const claims = decodeJson(encodedClaims);
  if (header === undefined || claims === undefined) return { verdict: 'malformed' };
  if (header['alg'] !== options.algorithm || (options.kid !== undefined && header['kid'] !== options.kid)) return { verdict: 'wrong_header', header, claims };
  if (!signatureHolds(`${encodedHeader}.${encodedClaims}`, Buffer.from(encodedSignature, 'base64url'), options)) return { verdict: 'bad_signature', header, claims };
  const expected = Object.entries(options.claims).every(([name, value]) => JSON.stringify(claims[name]) === JSON.stringify(value));
  if (!expected || (options.absentClaims ?? []).some((name) => name in claims)) return { verdict: 'wrong_claims', header, claims };
  const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') return { verdict: 'wrong_claims', header, claims };
  if (iat > now + SKEW_SECONDS) return { verdict: 'not_yet_valid', header, claims };
  if (exp <= now - SKEW_SECONDS) return { verdict: 'expired', header, claims };
  if (exp - iat > options.maxLifetimeSeconds) return { verdict: 'too_long_lived', header, claims };
  return { verdict: 'valid', header, claims };
}

function signatureHolds(signingInput: string, signature: Buffer, options: FakeJwtOptions): boolean {
  const hash = `sha${options.algorithm.slice(2)}`;
  const data = Buffer.from(signingInput);
  if (Buffer.isBuffer(options.key)) {
    const expected = createHmac(hash, options.key).update(data).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  if (options.algorithm.startsWith('ES')) return verify(hash, data, { key: options.key, dsaEncoding: 'ieee-p1363' }, signature);
  if (options.algorithm.startsWith('PS')) return verify(hash, data, { key: options.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
  return verify(hash, data, options.key, signature);
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
