/** What starting a webhook delivery workflow takes: its id, input and result (shared with the API; no workflow code). */

/** The delivery workflow's registered name. */
export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';

export interface WebhookDeliveryInput {
  deliveryId: string;
}

export type WebhookDeliveryResult = { delivered: true; attempts: number } | { delivered: false; reason: string };

/** The workflow id of a delivery. */
export function webhookWorkflowId(deliveryId: string): string {
  return `webhook:${deliveryId}`;
}
