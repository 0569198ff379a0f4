/** How long one provider call may take: PROVIDER_TIMEOUT, or the catalog entry's own `request_timeout`. */
import type { ProviderEntry } from '../catalog-schema';

/**
 * The longest a provider call may be allowed to take (PROVIDER_TIMEOUT and `request_timeout` are capped
 * here). The refresh activity's start-to-close timeout (workflows/connection-workflow.ts) is sized above
 * it, so Temporal never retries an attempt whose call is still waiting on the provider.
 */
export const MAX_PROVIDER_TIMEOUT_MS = 5 * 60_000;

/** The entry's `request_timeout` (seconds) when it sets one, else the configured default. */
export function providerTimeoutMs(entry: Pick<ProviderEntry, 'request_timeout'> | undefined, defaultMs: number): number {
  const seconds = entry?.request_timeout;
  return seconds !== undefined ? seconds * 1000 : defaultMs;
}
