/**
 * Private keys as end users paste them: PEM with or without its line breaks, with literal `\n`s (a key
 * copied out of a JSON file or an environment variable), or the bare base64 body of a PKCS #8 key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ValidationError } from '../src/errors';

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;
const BASE64 = /^[A-Za-z0-9+/]+=*$/;
const PEM_LINE_LENGTH = 64;

/** The key `text` holds; throws `invalid_signing_key` naming `field` (never the key) when it holds none. */
export function readPrivateKey(text: string, field: string): KeyObject {
  const pem = normalisedPem(text);
  if (pem === undefined) throw invalidSigningKey(field, 'is not a PEM private key');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw invalidSigningKey(field, 'is not a PEM private key');
  }
}

/** The error for a key that cannot sign; the message names the field and the rule, never the value. */
export function invalidSigningKey(field: string, rule: string): ValidationError {
  const message = `Invalid value for ${field}: ${rule}`;
  return new ValidationError('invalid_signing_key', message, { errors: [{ code: 'invalid_signing_key', message, path: field.split('.') }] });
}

function normalisedPem(text: string): string | undefined {
  const withNewlines = text.includes('\\n') ? text.replace(/\\n/g, '\n') : text;
  // A key without its armour is taken as PKCS #8 ("PRIVATE KEY"), the format the providers hand out.
  const label = PEM_LABEL.exec(withNewlines)?.[1] ?? 'PRIVATE KEY';
  if (!label.endsWith('PRIVATE KEY')) return undefined;
  const body = withNewlines.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  if (body === '' || !BASE64.test(body)) return undefined;
  const lines = body.match(new RegExp(`.{1,${PEM_LINE_LENGTH}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
