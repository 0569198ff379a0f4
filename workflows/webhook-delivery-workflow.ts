/**
 * Delivers one webhook (DESIGN.md §4.3): its own short workflow, so a slow or failing receiver never
 * holds up a refresh. The payload lives on its `webhook_delivery` row; the workflow carries only its id.
 * Retries back off exponentially (5 s, 10 s, 20 s … capped at 1 h) for WEBHOOK_RETRY_FOR; other 4xx
 * answers and blocked targets are final.
 */
import { ActivityFailure, ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhook-activities';

import { webhookWorkflowId, type WebhookDeliveryInput, type WebhookDeliveryResult } from './webhook-delivery-messages';

export { webhookWorkflowId, type WebhookDeliveryInput, type WebhookDeliveryResult };

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { webhookRetryWindow, markWebhookFailed } = proxyActivities<WebhookActivities>({ startToCloseTimeout: '30 seconds' });
  const { retryWindowMs } = await webhookRetryWindow();
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: '2 minutes',
    scheduleToCloseTimeout: retryWindowMs,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['webhook_rejected', 'webhook_blocked'] },
  });
  try {
    const attempts = await deliverWebhook(input);
    return { delivered: true, attempts };
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const reason = cause instanceof Error ? cause.message : 'delivery failed';
    await markWebhookFailed({ deliveryId: input.deliveryId, reason });
    return { delivered: false, reason };
  }
}

/**
 * From another workflow: starts one delivery workflow per recorded message and returns once they are
 * started (never waits for delivery); they outlive the parent.
 */
export async function startWebhookDeliveries(deliveryIds: readonly string[]): Promise<void> {
  for (const deliveryId of deliveryIds) {
    await startChild(webhookDeliveryWorkflow, { workflowId: webhookWorkflowId(deliveryId), args: [{ deliveryId }], parentClosePolicy: ParentClosePolicy.ABANDON });
  }
}
