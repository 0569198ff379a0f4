/**
 * What the API answers when a provider could not be reached or did not answer during an authorization,
 * a verification or an import: 502 `provider_unreachable` / 504 `provider_timeout`, never 500. The
 * message names the provider: it comes from the provider call's classifier, which redacted every secret.
 */
import { isTransientProviderCode } from '../providers/calls/provider-call-error';
import { CustodianError } from './errors';

export type ProviderUnavailableCode = 'provider_unreachable' | 'provider_timeout';

/** A provider failed us (not the caller's credentials): 502 or 504 with a message worth showing. */
export class ProviderUnavailableError extends CustodianError {
  constructor(code: ProviderUnavailableCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
  }
}

/**
 * The API error for a provider failure code (from a call, or from an authorization workflow's result):
 * no answer in time → 504 `provider_timeout`; unreachable, 5xx, 429 or a garbled answer → 502
 * `provider_unreachable`. Undefined for codes that are not the provider's trouble.
 */
export function providerUnavailable(code: string, message: string, cause?: unknown): ProviderUnavailableError | undefined {
  const apiCode = providerUnavailableCode(code);
  return apiCode === undefined ? undefined : new ProviderUnavailableError(apiCode, message, { cause });
}

/** The API code for a provider failure code (see {@link providerUnavailable}); undefined for other codes. */
export function providerUnavailableCode(code: string): ProviderUnavailableCode | undefined {
  if (!isTransientProviderCode(code)) return undefined;
  return code === 'provider_timeout' ? 'provider_timeout' : 'provider_unreachable';
}
