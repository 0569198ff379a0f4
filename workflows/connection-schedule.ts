/** Pure scheduling arithmetic of a connection workflow (deterministic, no I/O). */

/** Upper bound of the per-connection jitter that spreads refreshes of tokens minted together. */
const MAX_JITTER_MS = 60_000;
/** Back-off after a refresh attempt failed transiently (its activity retries exhausted). */
const RETRY_BASE_MS = 30_000;
const RETRY_CAP_MS = 15 * 60_000;

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

/** Wait before the next attempt after `failures` consecutive failed attempts: 30 s, 1 min, 2 min… capped at 15 min. */
export function retryDelayMs(failures: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 10));
  return Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** exponent);
}
