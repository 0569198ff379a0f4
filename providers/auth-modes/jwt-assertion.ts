/**
 * JWTs a TWO_STEP entry signs before its token request: the `signature` + `token` pair (RFC 7523 §2.1
 * grant assertions: Google service accounts, Salesforce and ServiceNow JWT bearer) sent as `${token}`,
 * and `assertion: {type: jwt}` (RFC 7523 §2.2 client assertions: NetSuite, Microsoft certificates, Epic)
 * sent as `${credentials.assertion}`. Signed with node:crypto: RS*, PS* and ES* (JWS, RFC 7518 §3).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { ConnectionConfigError, CustodianError, ValidationError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import { interpolateTokenParam, type TokenRequestSources } from '../interpolate';
import { requestContext } from './request-context';

type Templates = Readonly<Record<string, string>>;

/** What one JWT is made of: templates for its header and claims, its key, its lifetime. */
export interface JwtTemplate {
  readonly key: string;
  readonly header: Templates;
  readonly payload: Templates;
  readonly lifetimeSeconds: number;
}

/** Signing parameters of each supported `alg`. */
const ALGORITHMS: Readonly<Record<string, { digest: string; padding?: 'pss'; ecdsa?: true }>> = {
  RS256: { digest: 'sha256' },
  RS384: { digest: 'sha384' },
  RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', padding: 'pss' },
  PS384: { digest: 'sha384', padding: 'pss' },
  PS512: { digest: 'sha512', padding: 'pss' },
  ES256: { digest: 'sha256', ecdsa: true },
  ES384: { digest: 'sha384', ecdsa: true },
  ES512: { digest: 'sha512', ecdsa: true },
};

const DEFAULT_ASSERTION_LIFETIME_SECONDS = 3600;

/** The entry's signed-token template (`signature` + `token`), if it has one. */
export function signedTokenTemplate(entry: ProviderEntry): JwtTemplate | undefined {
  if (entry.signature === undefined || entry.token === undefined) return undefined;
  const { token } = entry;
  return { key: token.signing_key, header: token.header, payload: token.payload, lifetimeSeconds: token.expires_in_ms / 1000 };
}

/** The entry's JWT client assertion template (`assertion: {type: jwt}`), if it has one. */
export function jwtAssertionTemplate(entry: ProviderEntry): JwtTemplate | undefined {
  const { assertion } = entry;
  if (assertion?.type !== 'jwt') return undefined;
  return {
    key: assertion.key,
    header: assertion.header ?? { alg: 'RS256' },
    payload: assertion.payload ?? {},
    lifetimeSeconds: assertion.lifetimeInSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS,
  };
}

/**
 * Signs the JWT `template` describes at `now`: `iat` and `exp` set, `typ` defaulting to `JWT`. A claim or
 * header whose values are absent is left out (Google's `sub` without a delegated user), as Nango does.
 */
export function signJwt(template: JwtTemplate, requestSources: TokenRequestSources, now: Date): string {
  const sources = { ...requestSources, context: requestContext([template.header, template.payload], { now }) };
  const issuedAt = Math.floor(now.getTime() / 1000);
  const header: Record<string, string> = { typ: 'JWT', ...filled(template.header, sources) };
  const payload = { ...filled(template.payload, sources), iat: issuedAt, exp: issuedAt + Math.floor(template.lifetimeSeconds) };
  const algorithm = ALGORITHMS[header['alg'] ?? ''];
  if (!algorithm) throw new CustodianError('invalid_template', `JWT alg ${String(header['alg'])} is not supported (RS*, PS*, ES*)`);
  const key = privateKeyOf(interpolateTokenParam(template.key, sources));
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = sign(algorithm.digest, Buffer.from(input), {
    key,
    ...(algorithm.padding === 'pss' ? { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 /* digest length */ } : {}),
    ...(algorithm.ecdsa ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * A PEM private key as end users paste it: with real or escaped (`\n`) line breaks, PKCS#8 or PKCS#1/SEC1,
 * or only its base64 body. A key that cannot be read refuses the credentials (400 `invalid_body`).
 */
export function privateKeyOf(text: string): KeyObject {
  const unescaped = text.replace(/\\n/g, '\n').trim();
  const candidates = unescaped.includes('-----BEGIN') ? [unescaped] : bodyReadings(unescaped).flatMap((body) => [pem(body, 'PRIVATE KEY'), pem(body, 'RSA PRIVATE KEY'), pem(body, 'EC PRIVATE KEY')]);
  for (const candidate of candidates) {
    try {
      return createPrivateKey({ key: candidate, format: 'pem' });
    } catch {
      // Try the next reading.
    }
  }
  throw new ValidationError('invalid_body', 'The private key is not a PEM private key', {
    errors: [{ code: 'invalid_private_key', message: 'must be a PEM private key (PKCS#8, PKCS#1 or SEC1)', path: ['credentials', 'privateKey'] }],
  });
}

/** A bare key body, and (SAP SuccessFactors hands its keys out so) the body it encodes when it is base64 of base64. */
function bodyReadings(body: string): string[] {
  const decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8').trim();
  return decoded.startsWith('MII') ? [body, decoded] : [body];
}

function pem(body: string, label: string): string {
  const base64 = body.replace(/\s+/g, '');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${label}-----\n`;
}

function filled(templates: Templates, sources: TokenRequestSources): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) {
    try {
      values[name] = interpolateTokenParam(template, sources);
    } catch (error) {
      if (!(error instanceof ConnectionConfigError && error.code === 'missing_connection_config')) throw error;
    }
  }
  return values;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
