/**
 * The catalog entry of an integration's provider. An integration outlives its provider's entry when the
 * entry leaves the catalog (removed from PROVIDERS_FILE, or renamed by an upgrade): every flow that needs
 * the entry then answers 409 `provider_not_in_catalog`, naming both, instead of failing obscurely.
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import type { Catalog } from '../../providers/load-catalog';
import type { IntegrationEntity } from '../db/entities';
import { CustodianError } from '../errors';

/** Stable code of {@link ProviderNotInCatalogError}, also the type of the activities' non-retryable failure. */
export const PROVIDER_NOT_IN_CATALOG = 'provider_not_in_catalog';

type Named = Pick<IntegrationEntity, 'uniqueKey' | 'provider'>;

/** The message naming the integration and its missing provider (API errors, activity failures, start-up warnings). */
export function providerNotInCatalogMessage(integration: Named): string {
  return `Integration "${integration.uniqueKey}" uses provider "${integration.provider}", which is not in the provider catalog `
    + '(removed from PROVIDERS_FILE or renamed by an upgrade); add the provider back to the catalog';
}

/** 409: the integration exists but its provider is not in the catalog. */
export class ProviderNotInCatalogError extends CustodianError {
  constructor(integration: Named) {
    super(PROVIDER_NOT_IN_CATALOG, providerNotInCatalogMessage(integration));
  }
}

/** The integration's catalog entry; throws {@link ProviderNotInCatalogError} when the catalog has none. */
export function catalogEntryOf(catalog: Pick<Catalog, 'get'>, integration: Named): ProviderEntry {
  const entry = catalog.get(integration.provider);
  if (!entry) throw new ProviderNotInCatalogError(integration);
  return entry;
}
