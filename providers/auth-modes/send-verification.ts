/**
 * Sends a verification request (API_KEY / BASIC, and OAUTH2 tokens on providers that declare one).
 * 2xx: valid. 401/403: the credentials are rejected (permanent). Anything else is the provider's
 * trouble, not the credentials': transient.
 */
import type { VerificationRequest } from './auth-mode';
import { ProviderCallError } from './provider-call-error';

const DEFAULT_TIMEOUT_MS = 15_000;

export async function sendVerification(request: VerificationRequest, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(request.url, { method: request.method, headers: request.headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new ProviderCallError(
      timedOut ? 'provider_timeout' : 'provider_unreachable',
      'transient',
      timedOut ? 'The verification endpoint did not answer in time' : 'The verification endpoint could not be reached',
    );
  }
  await response.body?.cancel();
  if (response.ok) return;
  if (response.status === 401 || response.status === 403) {
    throw new ProviderCallError('credentials_rejected', 'permanent', `The provider rejected the credentials (HTTP ${response.status})`, { httpStatus: response.status });
  }
  throw new ProviderCallError(response.status === 429 ? 'provider_rate_limited' : 'provider_server_error', 'transient', `The verification endpoint answered HTTP ${response.status}`, {
    httpStatus: response.status,
  });
}
