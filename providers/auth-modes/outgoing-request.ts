/** Small helpers for putting credentials on an {@link OutgoingRequest}. */
import type { ProviderEntry } from '../catalog-schema';
import { interpolateHeaders, interpolateQueryCredential } from '../interpolate';
import type { ConnectionConfig, OutgoingRequest } from './auth-mode';

/** The request with `headers` set (names lower-cased; they replace headers of the same name). */
export function withHeaders(request: OutgoingRequest, headers: Readonly<Record<string, string>>): OutgoingRequest {
  const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { ...request, headers: { ...request.headers, ...lowered } };
}

/**
 * The entry's `proxy.headers` filled with these credentials, over `implicit` (a bearer or basic header
 * the mode sends unless the entry names its own `authorization`).
 */
export function withProxyHeaders(
  request: OutgoingRequest,
  entry: ProviderEntry,
  values: { credentials: Readonly<Record<string, unknown>>; connectionConfig: ConnectionConfig },
  implicit: Readonly<Record<string, string>> = {},
): OutgoingRequest {
  const declared = interpolateHeaders(entry.proxy?.headers ?? {}, { entry, ...values });
  const names = Object.keys(declared).map((name) => name.toLowerCase());
  const kept = Object.fromEntries(Object.entries(implicit).filter(([name]) => !names.includes(name.toLowerCase())));
  return withProxyQuery(withHeaders(withHeaders(request, kept), declared), entry, values);
}

/** The entry's `proxy.query` (credentials a provider takes only in the query string) set on the request's URL. */
function withProxyQuery(request: OutgoingRequest, entry: ProviderEntry, values: { credentials: Readonly<Record<string, unknown>>; connectionConfig: ConnectionConfig }): OutgoingRequest {
  const query = entry.proxy?.query;
  if (query === undefined || Object.keys(query).length === 0) return request;
  const url = new URL(request.url);
  for (const [name, template] of Object.entries(query)) url.searchParams.set(name, interpolateQueryCredential(template, { entry, ...values }));
  return { ...request, url };
}
