import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/common';
import { LONGEST_RETRY_AFTER_IN_ACTIVITY_MS, providerFailure } from '../../../activities/provider-failure';
import { ProviderCallError } from '../../../providers/calls/provider-call-error';

function facts(failure: ApplicationFailure) {
  return { type: failure.type, message: failure.message, nonRetryable: failure.nonRetryable, nextRetryDelay: failure.nextRetryDelay, details: failure.details };
}

describe('providerFailure: provider call errors as Temporal failures', () => {
  const refresh = { retryLostAnswers: true };
  const exchange = { retryLostAnswers: false };

  it('a refusal is non-retryable, typed with its code', () => {
    const error = new ProviderCallError('invalid_grant', 'permanent', 'The token endpoint of Acme (https://acme.test/token) answered 400 (invalid_grant)', { httpStatus: 400 });
    expect(facts(providerFailure(error, refresh))).to.deep.equal({
      type: 'invalid_grant',
      message: error.message,
      nonRetryable: true,
      nextRetryDelay: undefined,
      details: [{ retryAfterMs: undefined, httpStatus: 400, answerLost: false }],
    });
  });

  it('a 5xx is retryable, with no delay of its own', () => {
    const error = new ProviderCallError('provider_server_error', 'transient', 'answered 503', { httpStatus: 503 });
    expect(facts(providerFailure(error, exchange))).to.include({ type: 'provider_server_error', nonRetryable: false, nextRetryDelay: undefined });
  });

  it('a short Retry-After becomes the next retry delay of the activity', () => {
    const error = new ProviderCallError('provider_rate_limited', 'transient', 'answered 429', { httpStatus: 429, retryAfterMs: 7_000 });
    expect(facts(providerFailure(error, refresh))).to.include({ nonRetryable: false, nextRetryDelay: 7_000 });
  });

  it('a Retry-After longer than the activity waits goes back to the workflow: non-retryable, the wait in its details', () => {
    const retryAfterMs = LONGEST_RETRY_AFTER_IN_ACTIVITY_MS + 1;
    const failure = providerFailure(new ProviderCallError('provider_rate_limited', 'transient', 'answered 429', { httpStatus: 429, retryAfterMs }), refresh);
    expect(facts(failure)).to.deep.include({ nonRetryable: true, nextRetryDelay: undefined, details: [{ retryAfterMs, httpStatus: 429, answerLost: false }] });
  });

  it('a lost answer is retried for a refresh (the same token again) but not for a single-use code exchange', () => {
    const error = new ProviderCallError('provider_timeout', 'transient', 'did not answer within 60 s', { answerLost: true });
    expect(facts(providerFailure(error, refresh))).to.include({ type: 'provider_timeout', nonRetryable: false });
    expect(facts(providerFailure(error, exchange))).to.include({ type: 'provider_timeout', nonRetryable: true });
  });

  it('an unreachable provider (nothing sent) is retried either way', () => {
    const error = new ProviderCallError('provider_unreachable', 'transient', 'could not be reached: ECONNREFUSED', { answerLost: false });
    expect(providerFailure(error, exchange).nonRetryable).to.equal(false);
  });
});
