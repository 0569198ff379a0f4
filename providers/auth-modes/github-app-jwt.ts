/**
 * The JSON web token a GitHub App signs with its private key to speak as the app (RFC 7519, RS256):
 * `iss` is the app's id, `iat` and `exp` at most ten minutes apart. It is sent as a bearer token to
 * the installation token endpoint and is itself a secret for its lifetime.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { ProviderCallError } from '../calls/provider-call-error';

/**
 * How long a JWT is valid. GitHub refuses an `exp` more than ten minutes ahead of its own clock; nine
 * minutes leaves room for our clock running ahead of GitHub's.
 */
export const APP_JWT_LIFETIME_SECONDS = 9 * 60;
/** `iat` is backdated this much, as GitHub's documentation advises, so a clock running behind GitHub's is not refused. */
export const APP_JWT_BACKDATE_SECONDS = 60;

/** What a GitHub App JWT is made from. */
export interface AppJwtInput {
  readonly appId: string;
  /** PEM: GitHub's PKCS#1 `BEGIN RSA PRIVATE KEY`, or PKCS#8 `BEGIN PRIVATE KEY`. */
  readonly privateKey: string;
  readonly now: Date;
}

/** Why a PEM text cannot sign GitHub App JWTs (not a key, not RSA, too short), or undefined when it can. */
export function privateKeyProblem(pem: string): string | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return 'is not a PEM private key';
  }
  if (key.asymmetricKeyType !== 'rsa') return `is a ${key.asymmetricKeyType ?? 'non-RSA'} key; GitHub Apps sign with RSA (RS256)`;
  // RFC 7518 §3.3: RS256 keys are 2048 bits or more.
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) return `is a ${bits}-bit RSA key; RS256 needs 2048 bits or more`;
  return undefined;
}

/** Signs the app's JWT; a key that cannot sign is the integration's permanent problem (`integration_missing_app`). */
export function signAppJwt(input: AppJwtInput): string {
  const problem = privateKeyProblem(input.privateKey);
  if (problem) throw new ProviderCallError('integration_missing_app', 'permanent', `The integration's GitHub App private key ${problem}`);
  const issuedAt = Math.floor(input.now.getTime() / 1000) - APP_JWT_BACKDATE_SECONDS;
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  const payload = encode({ iat: issuedAt, exp: issuedAt + APP_JWT_BACKDATE_SECONDS + APP_JWT_LIFETIME_SECONDS, iss: input.appId });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), createPrivateKey(input.privateKey)).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

function encode(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
