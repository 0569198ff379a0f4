/** Starts one delivery workflow per recorded webhook (from the API; the connection workflow starts its own as children). */
import type { Client } from '@temporalio/client';
import { WEBHOOK_DELIVERY_WORKFLOW, webhookWorkflowId, type WebhookDeliveryInput } from '../../workflows/webhook-delivery-messages';

export async function startDeliveries(client: Client, taskQueue: string, deliveryIds: readonly string[]): Promise<void> {
  for (const deliveryId of deliveryIds) {
    const input: WebhookDeliveryInput = { deliveryId };
    await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, { taskQueue, workflowId: webhookWorkflowId(deliveryId), args: [input] });
  }
}
