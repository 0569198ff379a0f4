/**
 * A WSSE UsernameToken header value (the HTTP form Emarsys uses): `UsernameToken Username="…",
 * PasswordDigest="…", Nonce="…", Created="…"`, where the digest is base64 of the hex SHA-1 of nonce,
 * creation time and secret (Emarsys digests the hex form, not the raw bytes).
 */
import { createHash, randomBytes } from 'node:crypto';

/** One token for `username`, created at `created`. */
export function wsseUsernameToken(username: string, secret: string, created: Date, nonce = randomBytes(16).toString('hex')): string {
  const timestamp = created.toISOString();
  const hexDigest = createHash('sha1').update(nonce + timestamp + secret).digest('hex');
  const passwordDigest = Buffer.from(hexDigest).toString('base64');
  return `UsernameToken Username="${username}", PasswordDigest="${passwordDigest}", Nonce="${nonce}", Created="${timestamp}"`;
}
