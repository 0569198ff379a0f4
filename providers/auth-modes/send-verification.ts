/**
 * Sends a verification request (API_KEY / BASIC, OAUTH1 tokens on providers that declare one) through
 * {@link callProvider}. 2xx: valid. 401/403: the provider refused the credentials (permanent
 * `credentials_rejected`). Any other answer says nothing about the credentials and is the provider's
 * trouble (transient): a 404 or a redirect is a catalog or provider problem, not a reason to drop a user.
 */
import { callProvider, type ProviderFetch } from '../calls/call-provider';
import type { VerificationRequest } from './auth-mode';

/** What a verification call needs besides the request itself. */
export interface VerificationOptions {
  /** The provider's display name, for messages. */
  readonly provider: string;
  /** PROVIDER_TIMEOUT or the entry's `request_timeout`. */
  readonly timeoutMs: number;
  /** The credentials the request carries (in headers or the query), never to appear in a message. */
  readonly secrets: readonly string[];
  readonly fetch?: ProviderFetch;
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: a verification URL whose host comes from connection config may not reach the private network. */
  readonly refusePrivateUserHosts?: boolean;
}

/** Resolves when the provider accepts the credentials; throws a ProviderCallError otherwise. */
export async function sendVerification(request: VerificationRequest, options: VerificationOptions): Promise<void> {
  const answer = await callProvider({
    provider: options.provider,
    endpoint: 'verification endpoint',
    url: request.url,
    method: request.method,
    headers: request.headers,
    redirect: 'manual',
    timeoutMs: options.timeoutMs,
    secrets: [...options.secrets, ...Object.values(request.headers).filter((value) => /^(basic|bearer|oauth) /i.test(value))],
    // Verification answers are the provider's API, not a protocol with error bodies: the status says it all.
    describeBody: () => '',
    fetch: options.fetch,
    refusePrivateTargets: options.refusePrivateUserHosts === true && request.userChosenHost === true,
  });
  if (answer.ok) return;
  if (answer.status === 401 || answer.status === 403) throw answer.refused('credentials_rejected', ' (the credentials were refused)');
  throw answer.unusable('provider_server_error', ' (not an answer about the credentials)');
}
