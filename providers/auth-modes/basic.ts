/** BASIC: username and password, sent as HTTP Basic authentication (RFC 7617) unless the entry says otherwise. */
import { z } from 'zod';
import { ConnectionConfigError } from '../../src/errors';
import type { BasicCredentials } from '../credentials';
import { textOf } from './authorization-error';
import { missingLegacyField } from './oauth2';
import type { VerificationInput, VerificationRequest } from './auth-mode';
import { typedCredentialsStrategy } from './typed-credentials';
import { buildVerificationRequest } from './verification-request';

/** The BASIC strategy. */
export const basic = typedCredentialsStrategy({
  authMode: 'BASIC',
  route: '/api-auth/basic/:key',
  // `.meta()` titles the Connect UI's fields when the catalog entry has no schema for them; the form asks
  // for a password although the API takes none (entries that need none hide it with a default).
  form: z.object({
    username: z.string().min(1).max(1024).meta({ title: 'Username' }),
    password: z.string().max(4096).optional().meta({ title: 'Password', secret: true, optional: false }),
  }),
  importSchema: z.object({ type: z.literal('BASIC'), username: z.string().min(1), password: z.string() }),
  toCredentials: (values): BasicCredentials => ({ type: 'BASIC', username: String(values.username), password: typeof values.password === 'string' ? values.password : '' }),
  fromLegacyImport: (body) => {
    const username = textOf(body.username);
    if (!username) throw missingLegacyField('username', 'BASIC');
    return { type: 'BASIC', username, password: typeof body.password === 'string' ? body.password : '' };
  },
  implicitHeaders: (credentials) => ({ authorization: basicAuthorization(credentials) }),
});

function basicAuthorization({ username, password }: BasicCredentials): string {
  // Either part may be empty (Lemlist takes ":<key>", Freshdesk "<key>:X"), not both.
  if (username === '' && password === '') {
    throw new ConnectionConfigError('missing_connection_config', 'Missing value for credentials.username', ['credentials', 'username']);
  }
  // RFC 7617 §2: the user-id cannot contain a colon, it would be read as the start of the password.
  if (username.includes(':')) throw new ConnectionConfigError('invalid_connection_config', 'Invalid value for credentials.username: must not contain ":"', ['credentials', 'username']);
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** The request that checks a typed username and password (Basic auth unless the entry names its own header), or null. */
export function basicVerificationRequest(input: VerificationInput): VerificationRequest | null {
  const value = (name: 'username' | 'password') => {
    const given = input.credentials[name] ?? '';
    if (typeof given !== 'string') throw new ConnectionConfigError('invalid_connection_config', `Invalid value for credentials.${name}: must be a string`, ['credentials', name]);
    return given;
  };
  return buildVerificationRequest(input, () => ({ authorization: basicAuthorization({ type: 'BASIC', username: value('username'), password: value('password') }) }));
}
