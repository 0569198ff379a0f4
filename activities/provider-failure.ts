/**
 * The one conversion of a provider call's failure into what Temporal acts on: a retryable
 * ApplicationFailure (the activity's retry policy runs again, after `Retry-After` when the provider
 * gave one) or a non-retryable one (the workflow decides). Its `type` is the error's stable code;
 * its details carry `retryAfterMs` for the workflow's own timer. Nothing secret: messages were redacted.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ProviderCallError } from '../providers/calls/provider-call-error';

/** A provider's Retry-After up to this long is honoured by the activity's own retries; longer ones go back to the workflow. */
export const LONGEST_RETRY_AFTER_IN_ACTIVITY_MS = 30_000;

/** What the failure carries for the workflow (JSON-plain). */
export interface ProviderFailureDetails {
  retryAfterMs?: number;
  httpStatus?: number;
  answerLost: boolean;
}

/** How the calling activity treats a call whose answer may have been lost. */
export interface ProviderFailurePolicy {
  /**
   * Retry when the provider may have processed the request unanswered. Yes for a refresh (the same token
   * is sent again promptly, and providers with a reuse interval accept it); no for a single-use
   * authorization code, which a second exchange could only burn.
   */
  readonly retryLostAnswers: boolean;
}

/** The ApplicationFailure an activity throws for `error`. */
export function providerFailure(error: ProviderCallError, policy: ProviderFailurePolicy): ApplicationFailure {
  const details: ProviderFailureDetails = { retryAfterMs: error.retryAfterMs, httpStatus: error.httpStatus, answerLost: error.answerLost };
  const longWait = error.retryAfterMs !== undefined && error.retryAfterMs > LONGEST_RETRY_AFTER_IN_ACTIVITY_MS;
  // A long Retry-After is waited out by the workflow's own timer, so expiry can still turn the connection degraded meanwhile.
  const nonRetryable = error.kind === 'permanent' || longWait || (error.answerLost && !policy.retryLostAnswers);
  return ApplicationFailure.create({
    message: error.message,
    type: error.code,
    nonRetryable,
    nextRetryDelay: nonRetryable ? undefined : error.retryAfterMs,
    details: [details],
  });
}
