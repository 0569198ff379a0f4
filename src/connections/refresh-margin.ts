/** How long before expiry a connection's token is refreshed: the provider's `token_expiration_buffer`, else REFRESH_MARGIN. */
import type { ProviderEntry } from '../../providers/catalog-schema';

export function refreshMarginMs(entry: Pick<ProviderEntry, 'token_expiration_buffer'> | undefined, defaultMarginMs: number): number {
  const buffer = entry?.token_expiration_buffer;
  return buffer !== undefined ? buffer * 1000 : defaultMarginMs;
}
