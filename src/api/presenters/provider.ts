/** A catalog entry as `GET /providers` shows it: the entry itself plus `name` and `logo_url`. */
import type { ProviderEntry } from '../../../providers/catalog-schema';

/** URL of the provider's logo, served by this API (no third-party assets). */
export function providerLogoUrl(serverUrl: string, provider: string): string {
  return `${serverUrl}/logos/${encodeURIComponent(provider)}.svg`;
}

/** The public view of a provider. */
export function presentProvider(serverUrl: string, name: string, entry: ProviderEntry): Record<string, unknown> {
  return { ...entry, name, logo_url: providerLogoUrl(serverUrl, name) };
}
