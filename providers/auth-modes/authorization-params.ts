/** Merging the catalog's and the caller's authorization parameters around the ones the flow owns. */
import type { ProviderEntry } from '../catalog-schema';
import { interpolateParam } from '../interpolate';
import type { ConnectionConfig } from './auth-mode';

/** Parameters only the flow itself sets (binding the redirect to this attempt, client and PKCE verifier). */
const FLOW_PARAMS = new Set(['client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'oauth_token']);
/** The catalog may change these (e.g. a provider wanting another `response_type`); a caller may not. */
const CATALOG_ONLY_PARAMS = new Set(['response_type']);

/** Adds the entry's `authorization_params` (interpolated) then the caller's to `params`, skipping flow-owned keys. */
export function mergeAuthorizationParams(
  params: Map<string, string>,
  input: { entry: ProviderEntry; connectionConfig: ConnectionConfig; authorizationParams?: Readonly<Record<string, string>> },
): void {
  for (const [key, template] of Object.entries(input.entry.authorization_params ?? {})) {
    if (!FLOW_PARAMS.has(key)) params.set(key, interpolateParam(template, input));
  }
  for (const [key, value] of Object.entries(input.authorizationParams ?? {})) {
    if (!FLOW_PARAMS.has(key) && !CATALOG_ONLY_PARAMS.has(key)) params.set(key, value);
  }
}
