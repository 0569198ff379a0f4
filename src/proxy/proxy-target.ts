/**
 * Where a proxied call goes: `Base-Url-Override`, else the catalog's `proxy.base_url` filled with the
 * connection config (through the one interpolation function), joined with the endpoint the caller named
 * after `/proxy`, query kept as sent.
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import { interpolateUrl } from '../../providers/interpolate';
import { CustodianError, ValidationError } from '../errors';
import { isPrivateHostname } from '../../providers/net/private-address';

export interface TargetInput {
  entry: ProviderEntry;
  connectionConfig: Readonly<Record<string, unknown>>;
  /** Path and query after `/proxy` (`/v1/users?limit=2`). */
  endpoint: string;
  baseUrlOverride: string | null;
  /** ALLOW_PRIVATE_NETWORK_TARGETS: an override may be plain http and point anywhere (development, tests). */
  allowPrivateNetworkTargets: boolean;
}

/** The provider URL of the call. */
export function proxyTarget(input: TargetInput): URL {
  const base = input.baseUrlOverride ?? catalogBaseUrl(input);
  const endpoint = withoutBase(input.endpoint, input.entry.proxy?.base_url);
  const url = new URL(joinPath(base, endpoint));
  if (input.baseUrlOverride !== null && !input.allowPrivateNetworkTargets) refuseUnsafeOverride(url);
  return url;
}

function catalogBaseUrl(input: TargetInput): string {
  const template = input.entry.proxy?.base_url;
  if (template === undefined) throw new CustodianError('unsupported_provider', `${input.entry.display_name} has no proxy base URL in the catalog; send Base-Url-Override`);
  return interpolateUrl(template, { entry: input.entry, connectionConfig: input.connectionConfig });
}

/** An endpoint written as a full base URL plus path (Nango tolerates it) loses the base. */
function withoutBase(endpoint: string, baseTemplate: string | undefined): string {
  if (baseTemplate === undefined || baseTemplate.includes('${')) return endpoint;
  const index = endpoint.indexOf(baseTemplate);
  return index === -1 ? endpoint : endpoint.slice(0, index) + endpoint.slice(index + baseTemplate.length);
}

function joinPath(base: string, endpoint: string): string {
  const trimmedBase = base.endsWith('/') ? base.slice(0, -1) : base;
  const path = endpoint.startsWith('/') ? endpoint : `/${endpoint}`;
  return path === '/' ? trimmedBase || '/' : `${trimmedBase}${path}`;
}

/** An override is https, to a public host by its spelling (names resolving to private addresses are refused when connecting). */
function refuseUnsafeOverride(url: URL): void {
  if (url.protocol !== 'https:') {
    throw new ValidationError('invalid_headers', 'Base-Url-Override must be an https URL', { errors: [{ code: 'invalid_string', message: 'must be https', path: ['base-url-override'] }] });
  }
  if (isPrivateHostname(url.hostname)) {
    throw new ValidationError('private_network_target', 'Base-Url-Override points into the private network', {
      errors: [{ code: 'private_network_target', message: 'must name a public host', path: ['base-url-override'] }],
    });
  }
}
