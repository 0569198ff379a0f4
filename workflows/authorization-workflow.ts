/**
 * One workflow per authorization attempt (DESIGN.md §4.2): wait for the browser's callback (redirect
 * flows) or a timeout, obtain the credentials, store the connection, wake its connection workflow,
 * send the auth webhook, finish with a non-secret result. Secrets stay on the attempt row.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { AuthorizationActivities } from '../activities/authorization-activities';
import { authorizationStateQuery, callbackReceivedSignal, type AuthorizationInput, type AuthorizationState } from './authorization-messages';
import { startWebhookDeliveries } from './webhook-delivery-workflow';

const { obtainCredentials, storeConnection, wakeConnectionWorkflow, failAttempt } = proxyActivities<AuthorizationActivities>({
  startToCloseTimeout: '1 minute',
  // An authorization code is single-use: the exchange is not repeated once the provider answered (see obtainCredentials).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
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
  const obtained = await obtainCredentials({ attemptId: input.attemptId, nowMs: Date.now() });
  if (!obtained.ok) return fail(obtained.errorCode, obtained.errorMessage);
  const stored = await storeConnection({ attemptId: input.attemptId });
  state.operation = stored.operation;
  await wakeConnectionWorkflow({ attemptId: input.attemptId });
  await startWebhookDeliveries(stored.deliveryIds);
  state.status = 'succeeded';
  return state;
}
