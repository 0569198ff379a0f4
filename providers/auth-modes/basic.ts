/** BASIC: username and password, sent as HTTP Basic authentication (RFC 7617) unless the entry says otherwise. */
import { ConnectionConfigError } from '../../src/errors';
import type { CredentialsStrategy, VerificationInput } from './auth-mode';
import { buildVerificationRequest } from './verification-request';

/** The BASIC strategy. */
export const basic: CredentialsStrategy<'BASIC'> = {
  authMode: 'BASIC',
  buildVerificationRequest: (input) => buildVerificationRequest(input, () => ({ authorization: basicAuthorization(input) })),
};

function basicAuthorization({ credentials }: VerificationInput): string {
  const username = credentials['username'] ?? '';
  const password = credentials['password'] ?? '';
  if (typeof username !== 'string') throw refused('username', 'must be a string');
  if (typeof password !== 'string') throw refused('password', 'must be a string');
  // Either part may be empty (Lemlist takes ":<key>", Freshdesk "<key>:X"), not both.
  if (username === '' && password === '') {
    throw new ConnectionConfigError('missing_connection_config', 'Missing value for credentials.username', ['credentials', 'username']);
  }
  // RFC 7617 §2: the user-id cannot contain a colon, it would be read as the start of the password.
  if (username.includes(':')) throw refused('username', 'must not contain ":"');
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function refused(field: 'username' | 'password', rule: string): ConnectionConfigError {
  return new ConnectionConfigError('invalid_connection_config', `Invalid value for credentials.${field}: ${rule}`, ['credentials', field]);
}
