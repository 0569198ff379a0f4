/** The key fingerprint a catalog template may compute (`${fingerprint(${credentials.privateKey})}`). */
import { createHash, createPublicKey } from 'node:crypto';
import { readPrivateKey } from './private-key';

/**
 * `SHA256:` and the base64 SHA-256 digest of the DER (SPKI) public key of a PEM private key: how
 * Snowflake names a user's key pair in a key-pair JWT's `iss`. `field` names the value in errors.
 */
export function publicKeyFingerprint(privateKeyText: string, field: string): string {
  const der = createPublicKey(readPrivateKey(privateKeyText, field)).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}
