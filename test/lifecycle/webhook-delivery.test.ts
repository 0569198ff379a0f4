import { expect } from 'chai';
import { ConnectionEntity, WebhookDeliveryEntity } from '../../src/db/entities';
import { recordConnectionEvent } from '../../src/webhooks/webhook-outbox';
import { webhookWorkflowId, type WebhookDeliveryResult } from '../../workflows/webhook-delivery-workflow';
import type { Lifecycle } from '../support/lifecycle';
import { eventTimeMs } from '../support/workflow-history';
import { nangoAccepts, operationLog, parseWebhook, useLifecycleSuite } from './lifecycle-suite';

/** Records a refresh-failure event for a fresh connection and starts its delivery workflow; returns the delivery id. */
async function deliverRefreshFailure(rig: Lifecycle, start: (deliveryId: string) => Promise<void>, connectionId: string, webhookUrl: string): Promise<{ deliveryId: string; row: ConnectionEntity }> {
  const row = await rig.connect(connectionId, { webhookUrl });
  const ids = await recordConnectionEvent(rig.db, {
    kind: 'refresh_failed',
    environment: rig.environment,
    integration: rig.integration,
    connection: row,
    authMode: 'OAUTH2',
    error: { type: 'invalid_grant', description: 'The provider rejected the credentials' },
  });
  expect(ids).to.have.length(1);
  await start(ids[0]!);
  return { deliveryId: ids[0]!, row };
}

describe('webhook delivery workflow: retries and final refusals (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  const start = async (deliveryId: string) => {
    await s.env.client.workflow.start('webhookDeliveryWorkflow', { taskQueue: s.rig.taskQueue, workflowId: webhookWorkflowId(deliveryId), args: [{ deliveryId }] });
  };
  const delivery = (id: string) => s.rig.db.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id });

  it('retries a 500 and delivers the same signed bytes with the same webhook-id', async () => {
    const { rig, env, receiver } = s;
    receiver.reset();
    receiver.respondWith(500, 200);
    const { deliveryId, row } = await deliverRefreshFailure(rig, start, 'retry-500', receiver.url);

    await env.sleep('1 minute');
    await receiver.waitForAnswered(2);
    await env.sleep('1 minute');

    expect(receiver.received.map((r) => r.status)).to.deep.equal([500, 200]);
    const [first, second] = receiver.received;
    expect(second!.rawBody, 'identical body bytes').to.equal(first!.rawBody);
    expect(second!.headers['webhook-id']).to.be.a('string').and.equal(first!.headers['webhook-id']);
    expect(second!.headers['x-nango-hmac-sha256']).to.equal(first!.headers['x-nango-hmac-sha256']);
    for (const received of receiver.received) {
      expect(received.method).to.equal('POST');
      expect(received.headers['content-type']).to.equal('application/json');
      expect(nangoAccepts(rig, received)).to.equal(true);
    }
    expect(parseWebhook(first!)).to.deep.include({ type: 'auth', operation: 'refresh', success: false, connectionId: 'retry-500' });
    const stored = await delivery(deliveryId);
    expect(stored).to.include({ status: 'delivered', attempts: 2, lastStatus: 200 });
    expect(first!.headers['webhook-id']).to.equal(stored.eventId);
    const result = (await env.client.workflow.getHandle(webhookWorkflowId(deliveryId)).result()) as WebhookDeliveryResult;
    expect(result).to.deep.equal({ delivered: true, attempts: 2 });
    const log = (await operationLog(rig, row.id)).filter((l) => l.type === 'webhook');
    expect(log.map((l) => [l.level, l.context['attempt'], l.context['httpStatus']])).to.deep.equal([
      ['warn', 1, 500],
      ['info', 2, 200],
    ]);
  });

  it('gives up at once on a 400 and never sends again', async () => {
    const { rig, env, receiver } = s;
    receiver.reset();
    receiver.respondWith(400);
    const { deliveryId } = await deliverRefreshFailure(rig, start, 'reject-400', receiver.url);

    await env.sleep('1 minute');
    await receiver.waitForAnswered(1);
    expect(receiver.received.map((r) => r.status)).to.deep.equal([400]);
    expect(nangoAccepts(rig, receiver.received[0]!)).to.equal(true);
    expect(await delivery(deliveryId)).to.include({ status: 'failed', attempts: 1, lastStatus: 400 });
    const result = (await env.client.workflow.getHandle(webhookWorkflowId(deliveryId)).result()) as WebhookDeliveryResult;
    expect(result.delivered).to.equal(false);

    await env.sleep('1 hour');
    expect(receiver.received, 'still exactly one request').to.have.length(1);
    expect(await delivery(deliveryId)).to.include({ status: 'failed', attempts: 1 });
  });

  it('backs off 5 s then 10 s (workflow time) over two 503s and delivers on the third attempt', async () => {
    const { rig, env, receiver } = s;
    receiver.reset();
    receiver.respondWith(503, 503);
    const { deliveryId } = await deliverRefreshFailure(rig, start, 'retry-503', receiver.url);

    await env.sleep('2 minutes');
    await receiver.waitForAnswered(3);
    expect(receiver.received.map((r) => r.status)).to.deep.equal([503, 503, 200]);
    expect(new Set(receiver.received.map((r) => r.rawBody)).size).to.equal(1);
    expect(await delivery(deliveryId)).to.include({ status: 'delivered', attempts: 3 });
    const history = await env.client.workflow.getHandle(webhookWorkflowId(deliveryId)).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverWebhook');
    const completed = events.find((e) => scheduled && String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId));
    expect(scheduled && completed, 'deliverWebhook scheduled and completed').to.not.equal(undefined);
    expect(eventTimeMs(completed!) - eventTimeMs(scheduled!), 'back-off 5 s + 10 s').to.be.within(15_000, 20_000);
  });
});

describe('webhook delivery workflow: a receiver that never recovers (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ configEnv: { WEBHOOK_RETRY_FOR: '2h' } });

  it('stops retrying after WEBHOOK_RETRY_FOR and marks the delivery failed', async () => {
    const { rig, env, receiver } = s;
    receiver.respondWith(...Array<number>(200).fill(500));
    const start = async (deliveryId: string) => {
      await env.client.workflow.start('webhookDeliveryWorkflow', { taskQueue: rig.taskQueue, workflowId: webhookWorkflowId(deliveryId), args: [{ deliveryId }] });
    };
    const { deliveryId } = await deliverRefreshFailure(rig, start, 'never-recovers', receiver.url);

    await env.sleep('3 hours');
    const result = (await env.client.workflow.getHandle(webhookWorkflowId(deliveryId)).result()) as WebhookDeliveryResult;
    expect(result.delivered).to.equal(false);
    const attempts = receiver.received.length;
    expect(attempts).to.be.within(5, 20);
    await env.sleep('3 hours');
    expect(receiver.received.length, 'no attempt after the window').to.equal(attempts);
    const stored = await s.rig.db.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: deliveryId });
    expect(stored.attempts).to.equal(attempts);
    expect(stored.status, 'a delivery that will never be retried again is not left "retrying"').to.equal('failed');
  });
});
