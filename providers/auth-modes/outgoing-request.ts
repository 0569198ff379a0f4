/** Small helpers for putting credentials on an {@link OutgoingRequest}. */
import type { ProviderEntry } from '../catalog-schema';
import { interpolateHeaders, interpolateQueryCredential, type HeaderInterpolationInput } from '../interpolate';
import type { ConnectionConfig, OutgoingRequest } from './auth-mode';

/** The request with `headers` set (names lower-cased; they replace headers of the same name). */
export function withHeaders(request: OutgoingRequest, headers: Readonly<Record<string, string>>): OutgoingRequest {
  return { ...request, headers: { ...request.headers, ...lowerCaseNames(headers) } };
}

/** The same headers with lower-case names. */
export function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
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
  const headed = withHeaders(withHeaders(request, kept), declared);
  return { ...headed, url: withQueryCredentials(headed.url, { entry, ...values }) };
}

/**
 * The URL with the entry's `proxy.query` set (credentials a provider takes only in the query string);
 * the same URL when the entry declares none. Proxied and verification requests both carry them.
 */
export function withQueryCredentials(url: URL, input: HeaderInterpolationInput & { entry: ProviderEntry }): URL {
  const query = input.entry.proxy?.query;
  if (query === undefined || Object.keys(query).length === 0) return url;
  const target = new URL(url);
  for (const [name, template] of Object.entries(query)) target.searchParams.set(name, interpolateQueryCredential(template, input));
  return target;
}
