/** Extracts the token of an `Authorization: Bearer <token>` header. */
import { AuthenticationError } from '../../errors';

/** The bearer token, or undefined when there is no Authorization header; malformed → 401. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AuthenticationError('malformed_auth_header', 'Authorization header must be "Bearer <secret key>"');
  return match[1];
}
