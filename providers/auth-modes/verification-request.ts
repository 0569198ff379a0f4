/** The credentials check shared by API_KEY and BASIC: `proxy.base_url` + the first verification endpoint. */
import { interpolateHeaders, interpolateQueryCredential, interpolateUrl } from '../interpolate';
import { joinUrlTemplate } from '../template';
import { hostKeysOf } from '../user-hosts';
import type { VerificationInput, VerificationRequest } from './auth-mode';

/**
 * Builds the verification request, or null when the entry declares none. `implicitHeaders` (e.g. Basic
 * auth) are sent unless the entry declares a header of the same name; header names come out lower-case.
 */
export function buildVerificationRequest(
  input: VerificationInput,
  implicitHeaders: () => Readonly<Record<string, string>> = () => ({}),
): VerificationRequest | null {
  const proxy = input.entry.proxy;
  const verification = proxy?.verification;
  const endpoint = verification?.endpoints[0];
  if (proxy?.base_url === undefined || verification === undefined || endpoint === undefined) return null;
  const template = joinUrlTemplate(proxy.base_url, endpoint);
  const url = interpolateUrl(template, input);
  // Verification headers override the general proxy headers, as in Nango.
  const declared = lowerCaseNames({ ...lowerCaseNames(proxy.headers ?? {}), ...lowerCaseNames(verification.headers ?? {}) });
  const implicit = Object.keys(declared).includes('authorization') ? {} : lowerCaseNames(implicitHeaders());
  const headers = { ...implicit, ...interpolateHeaders(declared, input) };
  const chosen = hostKeysOf(template, input.connectionConfig ?? {}) !== undefined;
  return { method: verification.method, url: withQueryCredentials(url, input), headers, ...(chosen ? { userChosenHost: true as const } : {}) };
}

function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The entry's `proxy.query` (credentials a provider takes only in the query string) added to the verification URL. */
function withQueryCredentials(url: string, input: VerificationInput): string {
  const query = input.entry.proxy?.query;
  if (query === undefined || Object.keys(query).length === 0) return url;
  const target = new URL(url);
  for (const [name, template] of Object.entries(query)) target.searchParams.set(name, interpolateQueryCredential(template, input));
  return target.toString();
}
