/** The integration object of API.md §3; every returned field is named here. */
import type { IntegrationEntity } from '../../db/entities';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { providerLogoUrl } from './provider';

export interface IntegrationPresentation {
  serverUrl: string;
  entry: ProviderEntry | undefined;
  /** `include=credentials`: add the OAuth client, with its secret decrypted by this function. */
  withCredentials?: (integration: IntegrationEntity) => string | null;
  /** With `withCredentials`: the integration's settings as its auth mode shows them, or undefined for an OAuth client. */
  modeCredentials?: (integration: IntegrationEntity) => Record<string, unknown> | undefined;
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
  const modeView = options.withCredentials ? options.modeCredentials?.(integration) : undefined;
  if (modeView) view.credentials = modeView;
  else if (options.withCredentials) {
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
