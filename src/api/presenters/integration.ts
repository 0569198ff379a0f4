/** The integration object of API.md §3; every returned field is named here. */
import type { IntegrationEntity } from '../../db/entities';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { providerLogoUrl } from './provider';

export interface IntegrationPresentation {
  serverUrl: string;
  entry: ProviderEntry | undefined;
  /** `include=credentials`: add the OAuth client, with its secret decrypted by this function. */
  withCredentials?: (integration: IntegrationEntity) => string | null;
  /** `include=webhook`: add the provider-webhook URL (we do not receive provider webhooks: always null). */
  withWebhook?: boolean;
}

/** Renders one integration. */
export function presentIntegration(integration: IntegrationEntity, options: IntegrationPresentation): Record<string, unknown> {
  const view: Record<string, unknown> = {
    unique_key: integration.uniqueKey,
    provider: integration.provider,
    display_name: integration.displayName ?? options.entry?.display_name ?? integration.provider,
    logo: providerLogoUrl(options.serverUrl, integration.provider),
    forward_webhooks: integration.forwardWebhooks,
    auth_mode: options.entry?.auth_mode ?? null,
    created_at: integration.createdAt.toISOString(),
    updated_at: integration.updatedAt.toISOString(),
  };
  if (options.withCredentials) {
    view.credentials = {
      type: options.entry?.auth_mode ?? null,
      client_id: integration.clientId,
      client_secret: options.withCredentials(integration),
      scopes: integration.scopes.join(','),
    };
  }
  if (options.withWebhook) view.webhook_url = null;
  return view;
}
