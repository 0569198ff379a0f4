/** The credentials check shared by API_KEY and BASIC: `proxy.base_url` + the first verification endpoint. */
import { interpolateHeaders, interpolateUrl } from '../interpolate';
import { joinUrlTemplate } from '../template';
import { hostKeysOf } from '../user-hosts';
import type { VerificationInput, VerificationRequest } from './auth-mode';
import { lowerCaseNames, withQueryCredentials } from './outgoing-request';

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
  const parsed = new URL(url);
  const withQuery = withQueryCredentials(parsed, input);
  // Without query credentials the URL stays exactly as interpolated.
  return { method: verification.method, url: withQuery === parsed ? url : withQuery.toString(), headers, ...(chosen ? { userChosenHost: true as const } : {}) };
}
