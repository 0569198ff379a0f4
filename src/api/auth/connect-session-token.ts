/** Connect session tokens: `nango_connect_session_<64 hex>`, stored only as a SHA-256 hash. */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ConnectSessionEntity } from '../../db/entities';
import { hashToken } from '../../environments/secret-key';
import { AuthenticationError } from '../../errors';

export const CONNECT_SESSION_PREFIX = 'nango_connect_session_';
const TOKEN_FORMAT = /^nango_connect_session_[0-9a-f]{64}$/;

/** A new random session token. */
export function generateSessionToken(): string {
  return `${CONNECT_SESSION_PREFIX}${randomBytes(32).toString('hex')}`;
}

/** The unexpired session of `token`; malformed → 401 invalid_connect_session_token_format, unknown or expired → 401 unknown_connect_session_token. */
export async function findLiveSession(db: DataSource, token: string, now: Date = new Date()): Promise<ConnectSessionEntity> {
  if (!TOKEN_FORMAT.test(token)) {
    throw new AuthenticationError('invalid_connect_session_token_format', 'Connect session token must be nango_connect_session_ followed by 64 hex characters');
  }
  const session = await db.getRepository(ConnectSessionEntity).findOneBy({ tokenHash: hashToken(token) });
  if (!session || session.expiresAt.getTime() <= now.getTime()) {
    throw new AuthenticationError('unknown_connect_session_token', 'Unknown or expired connect session token');
  }
  return session;
}
