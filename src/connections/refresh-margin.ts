/** How long before expiry a connection's token is refreshed: the provider's `token_expiration_buffer`, else REFRESH_MARGIN. */
import type { ProviderEntry } from '../../providers/catalog-schema';

// Renewed when this share of a short lifetime is left.
const SHORT_LIFETIME_SHARE = 5;

/**
 * The entry's `token_expiration_buffer`, else REFRESH_MARGIN. A credential made here whose lifetime the
 * entry states (`token.expires_in_ms`: Ghost's 5-minute JWTs, Emarsys' WSSE tokens) and which is no
 * longer than that margin is renewed with a fifth of its life left: a margin as long as the whole
 * lifetime would make every renewal due at once, back to back.
 */
export function refreshMarginMs(entry: Pick<ProviderEntry, 'token_expiration_buffer' | 'token'> | undefined, defaultMarginMs: number): number {
  const buffer = entry?.token_expiration_buffer;
  if (buffer !== undefined) return buffer * 1000;
  const lifetimeMs = entry?.token?.expires_in_ms;
  return lifetimeMs !== undefined && lifetimeMs <= defaultMarginMs ? Math.floor(lifetimeMs / SHORT_LIFETIME_SHARE) : defaultMarginMs;
}
