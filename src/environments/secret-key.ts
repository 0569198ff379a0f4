/** Secret keys: UUID v4 strings, looked up by their SHA-256 (never stored in the clear). */
import { hash, randomUUID } from 'node:crypto';

/** The shape of a secret key (API.md §0). */
export const SECRET_KEY_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A new random secret key. */
export function generateSecretKey(): string {
  return randomUUID();
}

/** Hex SHA-256 of a token: the indexed lookup column for secret keys and session tokens. */
export function hashToken(token: string): string {
  // The one-shot hash: on every authenticated request, without a Hash object to build and throw away.
  return hash('sha256', token.toLowerCase(), 'hex');
}
