/** Pure scheduling arithmetic of a connection workflow (deterministic, no I/O). */
import type { ConnectionSnapshot } from '../activities/connection-activity-types';
import type { CarriedState } from './connection-messages';

/** Upper bound of the per-connection jitter that spreads refreshes of tokens minted together. */
const MAX_JITTER_MS = 60_000;
/** Back-off after a refresh attempt failed transiently (its activity retries exhausted). */
const RETRY_BASE_MS = 30_000;
const RETRY_CAP_MS = 15 * 60_000;
/** A credential living no longer than the margin is renewed when this share of its life is left. */
const SHORT_LIFETIME_SHARE = 5;

/** A stable pseudo-random offset in [0, min(60 s, margin / 10)) derived from the connection's id. */
export function jitterMs(seed: string, marginMs: number): number {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  const bound = Math.min(MAX_JITTER_MS, Math.floor(marginMs / 10));
  return bound > 0 ? hash % bound : 0;
}

/** When a token expiring at `expiresAtMs` should be refreshed. */
export function refreshAtMs(expiresAtMs: number, marginMs: number, seed: string): number {
  return expiresAtMs - marginMs - jitterMs(seed, marginMs);
}

/**
 * The margin for a credential a renewal at `renewedAtMs` gave until `expiresAtMs`: a lifetime no longer
 * than the margin (a provider answering 10-minute tokens to a 15-minute margin) is renewed with a fifth
 * of it left, instead of at once and back to back.
 */
export function effectiveMarginMs(marginMs: number, expiresAtMs: number, renewedAtMs: number | null): number {
  if (renewedAtMs === null) return marginMs;
  const lifetimeMs = expiresAtMs - renewedAtMs;
  return lifetimeMs > 0 && lifetimeMs <= marginMs ? Math.floor(lifetimeMs / SHORT_LIFETIME_SHARE) : marginMs;
}

/** Wait before the next attempt after `failures` consecutive failed attempts: 30 s, 1 min, 2 min… capped at 15 min. */
export function retryDelayMs(failures: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 10));
  return Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** exponent);
}

export type ScheduleFacts = Pick<ConnectionSnapshot, 'expiresAt' | 'upkeep' | 'hasRefreshToken' | 'marginMs' | 'verifyIntervalMs'>;
export type ScheduleState = Pick<CarriedState, 'status' | 'retryAt' | 'lastVerifiedAt' | 'lastRefreshAt' | 'idleUntil'>;

/** Next time to act, or null to wait for a message only. */
export function nextAttemptAt(facts: ScheduleFacts, state: ScheduleState, seed: string, nowMs: number): number | null {
  if (state.status === 'invalid') return null;
  if (state.retryAt !== null) return Date.parse(state.retryAt);
  switch (facts.upkeep) {
    case 'refresh':
    case 'mint': {
      if (facts.expiresAt === null) return null;
      const expiry = Date.parse(facts.expiresAt);
      // Without a refresh token nothing can be done early: act at expiry so the loss is reported.
      // (`hasRefreshToken` carries the upkeep's `beforeExpiry`: its name is kept for replay.)
      if (facts.upkeep === 'refresh' && !facts.hasRefreshToken) return expiry;
      const at = refreshAtMs(expiry, effectiveMarginMs(facts.marginMs, expiry, state.lastRefreshAt === null ? null : Date.parse(state.lastRefreshAt)), seed);
      return state.idleUntil ? Math.max(at, Date.parse(state.idleUntil)) : at;
    }
    case 'verify': {
      const last = state.lastVerifiedAt ?? state.lastRefreshAt;
      return last === null ? nowMs + facts.verifyIntervalMs : Date.parse(last) + facts.verifyIntervalMs;
    }
    case 'none':
      return null;
  }
}

/** The earlier of two optional times. */
export function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** The token's expiry, when it falls inside a back-off after a failed attempt and the connection is not yet degraded. */
export function expiryDuringBackoff(expiresAt: string | null, state: Pick<CarriedState, 'status' | 'retryAt'>): number | null {
  if (state.retryAt === null || expiresAt === null || state.status !== 'active') return null;
  const expiryMs = Date.parse(expiresAt);
  return expiryMs < Date.parse(state.retryAt) ? expiryMs : null;
}
