/**
 * Activities of the webhook delivery workflow. Each attempt signs the stored payload (the same bytes
 * every time), POSTs it, and records the attempt on its `webhook_delivery` row and in the operation log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { Config } from '../src/config';
import type { Cipher } from '../src/crypto/cipher';
import { ENCRYPTED } from '../src/crypto/encrypted-columns';
import { EnvironmentEntity, WebhookDeliveryEntity } from '../src/db/entities';
import { OperationLog } from '../src/operation-log/operation-log';
import { sendWebhook } from '../src/webhooks/send-webhook';
import { webhookHeaders } from '../src/webhooks/sign-webhook';
import { serializeWebhookBody, type WebhookEvent } from '../src/webhooks/webhook-event';

export interface WebhookActivityDeps {
  db: DataSource;
  cipher: Cipher;
  config: Pick<Config, 'webhookTimeoutMs' | 'webhookRetryForMs' | 'allowPrivateNetworkTargets'>;
  fetch?: typeof fetch;
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const oplog = new OperationLog(deps.db);
  const deliveries = () => deps.db.getRepository(WebhookDeliveryEntity);

  return {
    /** WEBHOOK_RETRY_FOR, read by the worker's config (the workflow holds no configuration). */
    async webhookRetryWindow(): Promise<{ retryWindowMs: number }> {
      return { retryWindowMs: deps.config.webhookRetryForMs };
    },

    /** The delivery gave up (rejected, blocked, or out of retry time): its row says so, unless it was delivered meanwhile. */
    async markWebhookFailed({ deliveryId, reason }: { deliveryId: string; reason: string }): Promise<void> {
      await deliveries()
        .createQueryBuilder()
        .update()
        .set({ status: 'failed', lastError: reason.slice(0, 500) })
        .where("id = :id AND status NOT IN ('delivered', 'failed')", { id: deliveryId })
        .execute();
    },

    /** One delivery attempt; returns the attempt count once delivered, throws to be retried or to stop. */
    async deliverWebhook({ deliveryId }: { deliveryId: string }): Promise<number> {
      const delivery = await deliveries().findOneByOrFail({ id: deliveryId });
      if (delivery.status === 'delivered') return delivery.attempts;
      const environment = await deps.db.getRepository(EnvironmentEntity).findOneByOrFail({ id: delivery.environmentId });
      const body = serializeWebhookBody(delivery.payload as unknown as WebhookEvent);
      const headers = webhookHeaders({ body, signingKey: deps.cipher.decrypt(environment.webhookSigningKeyEncrypted, ENCRYPTED.environmentWebhookSigningKey, environment.id), webhookId: delivery.eventId, timestamp: new Date() });
      const attempt = await sendWebhook({ url: delivery.targetUrl, body, headers, timeoutMs: deps.config.webhookTimeoutMs, allowPrivateTargets: deps.config.allowPrivateNetworkTargets, fetch: deps.fetch });
      const attempts = delivery.attempts + 1;
      const status = attempt.outcome === 'delivered' ? 'delivered' : attempt.outcome === 'retryable' ? 'retrying' : 'failed';
      const lastStatus = 'status' in attempt ? (attempt.status ?? null) : null;
      const reason = 'reason' in attempt ? attempt.reason : null;
      await deliveries().update({ id: deliveryId }, { attempts, status, lastStatus, lastError: reason });
      const payload = delivery.payload as { type?: string; operation?: string };
      await oplog.write({
        environmentId: delivery.environmentId,
        connectionRowId: delivery.connectionRowId,
        type: 'webhook',
        level: attempt.outcome === 'delivered' ? 'info' : 'warn',
        message: `webhook ${payload.type}/${payload.operation} ${attempt.outcome}${reason ? `: ${reason}` : ''}`,
        context: { deliveryId, eventId: delivery.eventId, attempt: attempts, httpStatus: lastStatus, target: new URL(delivery.targetUrl).origin },
      });
      switch (attempt.outcome) {
        case 'delivered':
          return attempts;
        case 'retryable':
          throw ApplicationFailure.create({ message: `webhook not delivered: ${attempt.reason}`, type: 'webhook_retryable', nextRetryDelay: attempt.retryAfterMs });
        case 'rejected':
          throw ApplicationFailure.nonRetryable(`webhook rejected: ${attempt.reason}`, 'webhook_rejected');
        case 'blocked':
          throw ApplicationFailure.nonRetryable(`webhook blocked: ${attempt.reason}`, 'webhook_blocked');
      }
    },
  };
}
