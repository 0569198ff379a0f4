/**
 * A catalog entry as `GET /providers` shows it: the entry itself plus `name`, `logo_url` and `connect`
 * (how the Connect UI connects it, see connect-style.ts; ours, not Nango's).
 */
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { presentConnect } from './connect-style';

/** URL of the provider's logo, served by this API (no third-party assets). */
export function providerLogoUrl(serverUrl: string, provider: string): string {
  return `${serverUrl}/logos/${encodeURIComponent(provider)}.svg`;
}

/** The public view of a provider. */
export function presentProvider(serverUrl: string, name: string, entry: ProviderEntry): Record<string, unknown> {
  return { ...entry, name, logo_url: providerLogoUrl(serverUrl, name), connect: presentConnect(entry) };
}
