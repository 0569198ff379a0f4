/**
 * One workflow per authorization attempt (DESIGN.md §4.2): wait for the browser's callback (redirect
 * flows) or a timeout, obtain the credentials, store the connection, wake its connection workflow,
 * send the auth webhook, finish with a non-secret result. Secrets stay on the attempt row.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { AuthorizationActivities } from '../activities/authorization-activities';
import { PROVIDER_ATTEMPTS, authorizationStateQuery, callbackReceivedSignal, type AuthorizationInput, type AuthorizationState } from './authorization-messages';
import { startWebhookDeliveries } from './webhook-delivery-workflow';

const { storeConnection, wakeConnectionWorkflow, failAttempt } = proxyActivities<AuthorizationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});

/** Patch id: a storeConnection that fails for good fails the attempt (wiping its secrets) instead of the workflow. */
const STORE_FAILURE_FAILS_ATTEMPT = 'store-failure-fails-attempt';

// The provider call. An authorization code is single-use: the exchange is not repeated once the provider
// may have processed it (see obtainCredentials and activities/provider-failure.ts).
const { obtainCredentials } = proxyActivities<AuthorizationActivities>({
  // Above the longest a provider call may take (5 min, providers/calls/provider-timeout.ts) plus the database work.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: PROVIDER_ATTEMPTS },
});

export async function authorizationWorkflow(input: AuthorizationInput): Promise<AuthorizationState> {
  const state: AuthorizationState = {
    status: 'pending',
    providerConfigKey: input.providerConfigKey,
    connectionId: input.connectionId,
    operation: null,
    errorCode: null,
    errorMessage: null,
  };
  let received = false;
  setHandler(callbackReceivedSignal, () => {
    received = true;
  });
  setHandler(authorizationStateQuery, () => state);

  const fail = async (errorCode: string, errorMessage: string): Promise<AuthorizationState> => {
    Object.assign(state, { status: 'failed', errorCode, errorMessage });
    const deliveryIds = await failAttempt({ attemptId: input.attemptId, errorCode, errorMessage });
    await startWebhookDeliveries(deliveryIds);
    return state;
  };

  if (input.waitForCallback && !(await condition(() => received, input.timeoutMs))) {
    return fail('authorization_timeout', 'The authorization was not completed in time');
  }
  state.status = 'exchanging';
  let obtained;
  try {
    obtained = await obtainCredentials({ attemptId: input.attemptId, nowMs: Date.now() });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // The provider stayed unreachable or silent through every attempt: the attempt fails with that code (provider_timeout…).
    const { code, message } = providerFailureOf(error);
    return fail(code, message);
  }
  if (!obtained.ok) return fail(obtained.errorCode, obtained.errorMessage);
  let stored;
  try {
    stored = await storeConnection({ attemptId: input.attemptId });
  } catch (error) {
    // Behind a patch: earlier runs ended here as failed workflows. Failing the attempt wipes the credentials it obtained.
    if (!(error instanceof ActivityFailure) || !patched(STORE_FAILURE_FAILS_ATTEMPT)) throw error;
    return fail('authorization_failed', 'The connection could not be stored');
  }
  state.operation = stored.operation;
  await wakeConnectionWorkflow({ attemptId: input.attemptId });
  await startWebhookDeliveries(stored.deliveryIds);
  state.status = 'succeeded';
  return state;
}

/** The code and message of a failed obtainCredentials activity: its ApplicationFailure's, else a generic one. */
function providerFailureOf(error: ActivityFailure): { code: string; message: string } {
  const { cause } = error;
  if (cause instanceof ApplicationFailure && cause.type) return { code: cause.type, message: cause.message };
  return { code: 'authorization_failed', message: 'The credentials could not be obtained from the provider' };
}
