/** The `custodian-demo` catalog entry: the demo provider's URLs, known once it listens (dev mode only). */

/** Name of the demo provider in the catalog. */
export const DEMO_PROVIDER_NAME = 'custodian-demo';

/** Refresh this long before expiry: tokens live five minutes, so one refresh every four. */
const DEMO_REFRESH_BUFFER_SECONDS = 60;

/** The raw entry (validated by `extendCatalog` like any catalog file). */
export function demoCatalogEntry(providerUrl: string): Record<string, unknown> {
  return {
    display_name: 'Custodian demo',
    categories: ['dev-tools'],
    docs: `${providerUrl}/`,
    auth_mode: 'OAUTH2',
    authorization_url: `${providerUrl}/oauth/authorize`,
    token_url: `${providerUrl}/oauth/token`,
    default_scopes: ['profile'],
    token_expiration_buffer: DEMO_REFRESH_BUFFER_SECONDS,
    proxy: { base_url: providerUrl },
  };
}
