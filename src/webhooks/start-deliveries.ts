/** Starts one delivery workflow per recorded webhook (from the API; the connection workflow starts its own as children). */
import type { Client } from '@temporalio/client';
import { webhookWorkflowId } from '../../workflows/webhook-delivery-workflow';

export async function startDeliveries(client: Client, taskQueue: string, deliveryIds: readonly string[]): Promise<void> {
  for (const deliveryId of deliveryIds) {
    await client.workflow.start('webhookDeliveryWorkflow', { taskQueue, workflowId: webhookWorkflowId(deliveryId), args: [{ deliveryId }] });
  }
}
