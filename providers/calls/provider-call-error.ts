/**
 * The one error a provider call ends in when it did not produce what the caller needed, with a stable
 * code and a retry class. Built only by call-provider.ts; messages name the provider, the endpoint and
 * the status, never a secret that was sent (they pass through the call's redaction).
 */
import { CustodianError, type ErrorCode } from '../../src/errors';

/** Whether the same call later may succeed (`transient`) or the provider said no for good (`permanent`). */
export type ProviderCallErrorKind = 'transient' | 'permanent';

/** Codes of failures that are the provider's trouble, not the credentials': retrying later may help. */
export const TRANSIENT_PROVIDER_CODES = [
  'provider_unreachable',
  'provider_timeout',
  'provider_server_error',
  'provider_rate_limited',
  'provider_malformed_response',
] as const;

export type TransientProviderCode = (typeof TRANSIENT_PROVIDER_CODES)[number];

/** Whether `code` is one of {@link TRANSIENT_PROVIDER_CODES}. */
export function isTransientProviderCode(code: string): code is TransientProviderCode {
  return (TRANSIENT_PROVIDER_CODES as readonly string[]).includes(code);
}

export interface ProviderCallErrorOptions {
  /** The provider's HTTP status, when it answered. */
  httpStatus?: number;
  /** How long the provider asked us to wait (`Retry-After`). */
  retryAfterMs?: number;
  /** The request may have reached the provider but no answer was read (a timeout, a reset connection). */
  answerLost?: boolean;
  cause?: unknown;
}

/** A provider call failed; branch on `kind`, `code` and `answerLost`. */
export class ProviderCallError extends CustodianError {
  readonly kind: ProviderCallErrorKind;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  /**
   * The provider may have processed the request without us reading its answer: a single-use value it
   * carried (a rotating refresh token, an authorization code) may be spent already.
   */
  readonly answerLost: boolean;

  constructor(code: ErrorCode, kind: ProviderCallErrorKind, message: string, options: ProviderCallErrorOptions = {}) {
    // The status is the code's (a refusal 400, a provider failing 502/504); routes answer transient ones as
    // provider_unreachable / provider_timeout (src/provider-unavailable-error.ts).
    super(code, message, { cause: options.cause });
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.answerLost = options.answerLost ?? false;
  }
}
