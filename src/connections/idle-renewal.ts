/**
 * REFRESH_POLICY=by-use: whether a scheduled renewal runs now or waits, decided from the row when the
 * workflow wakes (no signal per read). Only reads count as use; a renewal does not, or every keep-alive
 * would make an idle connection look active for a whole window.
 */
import type { RefreshPolicy } from '../config';

export interface UsageFacts {
  /** The last time credentials were handed out (GET or proxy), from `last_fetched_at`. */
  lastReadAt: Date | null;
  /** The last time these credentials were obtained: stored by a connect or an import, or renewed. */
  renewedAt: Date;
  /** When the refresh token itself expires, when the provider said so. */
  renewableUntil: Date | null;
}

/**
 * Null when the renewal should run now: the policy is `always`, the connection was read within the
 * active window, or its keep-alive (or its refresh token's own expiry, less the margin) has come.
 * Otherwise the time to renew at the latest, unless a read that finds the token due comes first.
 */
export function idleUntil(policy: RefreshPolicy, facts: UsageFacts, now: Date, marginMs: number): Date | null {
  if (policy.mode === 'always') return null;
  if (facts.lastReadAt !== null && now.getTime() - facts.lastReadAt.getTime() < policy.activeWindowMs) return null;
  const keepAlive = facts.renewedAt.getTime() + policy.idleRenewIntervalMs;
  const deadline = facts.renewableUntil === null ? keepAlive : Math.min(keepAlive, facts.renewableUntil.getTime() - marginMs);
  return deadline <= now.getTime() ? null : new Date(deadline);
}
