/**
 * Compact JWS signing (RFC 7515 §7.1) with node:crypto, for the algorithms of RFC 7518 §3.1 that
 * catalog entries name: HMAC (HS*), RSASSA-PKCS1-v1_5 (RS*), RSASSA-PSS (PS*) and ECDSA (ES*). The
 * key is checked against the algorithm first, so a wrong key fails as `invalid_signing_key` rather than
 * signing something the provider will refuse.
 */
import { constants, createHmac, sign, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../catalog-schema';
import { invalidSigningKey, readPrivateKey } from '../private-key';

/** What a JWT is signed with: a secret's bytes (HS*) or the text of a PEM private key (RS*, PS*, ES*). */
export type JwtKey = { readonly kind: 'secret'; readonly bytes: Buffer } | { readonly kind: 'pem'; readonly text: string };

/** One signing: the key as typed, the field it came from (for messages), the header and the claims. */
export interface JwtSigningInput {
  readonly algorithm: JwtAlgorithm;
  readonly key: JwtKey;
  /** `credentials.privateKey`…: named by errors instead of the key. */
  readonly keyField: string;
  /** Header parameters besides `alg` (`typ`, `kid`). */
  readonly header: Readonly<Record<string, string>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

// ES256 signs with P-256 and SHA-256, and so on (RFC 7518 §3.4).
const EC_CURVES: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
// RFC 7518 §3.2: an HS256 key must have at least as many bits as the hash output.
const MIN_HMAC_KEY_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/** `header.claims.signature`, each part base64url (RFC 7515 §7.1). */
export function signJwt(input: JwtSigningInput): string {
  const header = { alg: input.algorithm, ...input.header };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(input.claims))}`;
  return `${signingInput}.${signature(signingInput, input).toString('base64url')}`;
}

function signature(signingInput: string, input: JwtSigningInput): Buffer {
  const { algorithm, key, keyField } = input;
  const hash = `sha${algorithm.slice(2)}`;
  const family = algorithm.slice(0, 2);
  if (family === 'HS') {
    if (key.kind !== 'secret') throw invalidSigningKey(keyField, `must be a secret for ${algorithm}`);
    if (key.bytes.length < (MIN_HMAC_KEY_BYTES[algorithm] ?? 0)) throw invalidSigningKey(keyField, `is shorter than ${algorithm} requires`);
    return createHmac(hash, key.bytes).update(signingInput).digest();
  }
  if (key.kind !== 'pem') throw invalidSigningKey(keyField, `must be a PEM private key for ${algorithm}`);
  const privateKey = checkedKey(readPrivateKey(key.text, keyField), algorithm, keyField);
  const data = Buffer.from(signingInput);
  switch (family) {
    case 'RS':
      return sign(hash, data, privateKey);
    case 'PS':
      // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
      return sign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    default:
      // RFC 7518 §3.4: the JWS signature is R || S, not the DER sequence node:crypto produces by default.
      return sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  }
}

function checkedKey(key: KeyObject, algorithm: JwtAlgorithm, keyField: string): KeyObject {
  const type = key.asymmetricKeyType;
  if (algorithm.startsWith('ES')) {
    if (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== EC_CURVES[algorithm]) {
      throw invalidSigningKey(keyField, `must be an EC private key on curve ${EC_CURVES[algorithm] ?? '?'} for ${algorithm}`);
    }
    return key;
  }
  if (type !== 'rsa' && !(type === 'rsa-pss' && algorithm.startsWith('PS'))) throw invalidSigningKey(keyField, `must be an RSA private key for ${algorithm}`);
  return key;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
