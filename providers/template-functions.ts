/** The functions a catalog template may apply to a credential (`${fingerprint(${credentials.privateKey})}`). */
import { createHash, createPublicKey } from 'node:crypto';
import { readPrivateKey } from './private-key';
import type { Placeholder, TemplateFunction } from './template';

/** `fn` applied to `value`, the value of `placeholder`. */
export function applyTemplateFunction(fn: TemplateFunction, value: string, placeholder: Placeholder): string {
  switch (fn) {
    case 'fingerprint':
      return publicKeyFingerprint(value, `${placeholder.source}.${placeholder.key}`);
  }
}

/**
 * `SHA256:` and the base64 SHA-256 digest of the DER (SPKI) public key of a PEM private key: how
 * Snowflake names a user's key pair in a key-pair JWT's `iss`.
 */
function publicKeyFingerprint(privateKeyText: string, field: string): string {
  const der = createPublicKey(readPrivateKey(privateKeyText, field)).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}
