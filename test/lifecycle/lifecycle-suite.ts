/**
 * Shared plumbing of the failure-handling lifecycle tests: one time-skipping environment, one rig and
 * one webhook receiver per `describe`, a worker running in the background for the whole describe,
 * and small readers for rows, operation logs, webhooks and histories.
 */
import { Nango } from '@nangohq/node';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RefreshOutcome } from '../../activities/connection-activity-types';
import { ConnectionEntity, OperationLogEntity, WebhookDeliveryEntity } from '../../src/db/entities';
import { ConnectionWorkflows, type ConnectionRef } from '../../src/connections/connection-workflows';
import { connectionWorkflowId, stateQuery, type ConnectionState } from '../../workflows/connection-messages';
import { startLifecycle, type EntryOverrides, type Lifecycle } from '../support/lifecycle';
import type { FakeProviderKnobs } from '../support/fake-provider';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { decodePayloads, eventTimeMs, type HistoryEvent } from '../support/workflow-history';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

export interface LifecycleSuite {
  env: TestWorkflowEnvironment;
  rig: Lifecycle;
  receiver: WebhookReceiver;
}

/** Registers before/after hooks in the current describe; the returned object is filled in by `before`. */
export function useLifecycleSuite(
  options: { knobs?: Partial<FakeProviderKnobs>; configEnv?: NodeJS.ProcessEnv; entry?: EntryOverrides; /** For suites with many workflows: the teardown audits every history. */ teardownTimeoutMs?: number } = {},
): LifecycleSuite {
  const suite = {} as LifecycleSuite;
  let running: Promise<void> | undefined;
  before(async function () {
    this.timeout(120_000);
    suite.env = await createTimeSkippingEnv();
    suite.rig = await startLifecycle({ env: suite.env, knobs: options.knobs, configEnv: options.configEnv, entry: options.entry });
    suite.receiver = await startWebhookReceiver();
    running = suite.rig.worker.run();
  });
  after(async function () {
    this.timeout(options.teardownTimeoutMs ?? 120_000);
    if (running) {
      suite.rig.worker.shutdown();
      await running;
    }
    await suite.receiver?.close();
    await suite.rig?.close();
    await suite.env?.teardown();
  });
  return suite;
}

export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The state query, retried while the workflow has not registered its handlers yet (its first activity). */
export async function waitForState(handle: WorkflowHandle, timeoutMs = 10_000): Promise<ConnectionState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.query(stateQuery);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await realDelay(50);
    }
  }
}

export async function connectionRow(rig: Lifecycle, rowId: string): Promise<ConnectionEntity> {
  return rig.db.getRepository(ConnectionEntity).findOneByOrFail({ id: rowId });
}

export async function operationLog(rig: Lifecycle, rowId: string): Promise<OperationLogEntity[]> {
  return rig.db.getRepository(OperationLogEntity).find({ where: { connectionRowId: rowId }, order: { id: 'ASC' } });
}

export async function deliveriesOf(rig: Lifecycle, rowId: string): Promise<WebhookDeliveryEntity[]> {
  return rig.db.getRepository(WebhookDeliveryEntity).find({ where: { connectionRowId: rowId }, order: { createdAt: 'ASC' } });
}

export interface ParsedWebhook {
  type?: string;
  operation?: string;
  success?: boolean;
  connectionId?: string;
  error?: { type?: string; description?: string };
}

export function parseWebhook(received: ReceivedWebhook): ParsedWebhook {
  return JSON.parse(received.rawBody) as ParsedWebhook;
}

/** Refresh-failure events (auth / refresh / success false) the receiver got. */
export function refreshFailureWebhooks(receiver: WebhookReceiver): ReceivedWebhook[] {
  return receiver.received.filter((r) => {
    const body = parseWebhook(r);
    return body.type === 'auth' && body.operation === 'refresh' && body.success === false;
  });
}

/** Whether the real @nangohq/node SDK accepts the request's signature with the environment's secret key. */
export function nangoAccepts(rig: Lifecycle, received: ReceivedWebhook): boolean {
  const nango = new Nango({ secretKey: rig.secretKey, host: 'http://127.0.0.1:1' });
  return nango.verifyIncomingWebhookRequest(received.rawBody, received.headers as Record<string, unknown>);
}

export interface RefreshActivity {
  scheduledAt: number;
  closedAt: number;
  /** Attempt number of the last try (ActivityTaskStarted), when known. */
  attempt: number | null;
  outcome: RefreshOutcome | null;
  failed: boolean;
}

/** Every refreshCredentials activity of a history, with workflow-time schedule and close times. */
export function refreshActivities(events: HistoryEvent[]): RefreshActivity[] {
  const scheduled = new Map<string, number>();
  const attempts = new Map<string, number>();
  const out: RefreshActivity[] = [];
  for (const event of events) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === 'refreshCredentials') scheduled.set(String(event.eventId), eventTimeMs(event));
    const st = event.activityTaskStartedEventAttributes;
    if (st && scheduled.has(String(st.scheduledEventId))) attempts.set(String(st.scheduledEventId), st.attempt ?? 0);
    const c = event.activityTaskCompletedEventAttributes;
    const f = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    const id = String(c?.scheduledEventId ?? f?.scheduledEventId);
    if ((c || f) && scheduled.has(id)) {
      out.push({
        scheduledAt: scheduled.get(id)!,
        closedAt: eventTimeMs(event),
        attempt: attempts.get(id) ?? null,
        outcome: c ? (decodePayloads(c.result)[0] as RefreshOutcome) : null,
        failed: !c,
      });
    }
  }
  return out;
}

/** Imports a connection whose token expires in a minute (already inside the margin: due at once, as in a refresh storm) and starts its workflow as an import does. */
export async function importDue(suite: LifecycleSuite, connectionId: string): Promise<{ row: ConnectionEntity; ref: ConnectionRef; workflowId: string; handle: WorkflowHandle }> {
  const { rig, env } = suite;
  const saved = rig.provider.knobs.expiresIn;
  rig.provider.knobs.expiresIn = 60;
  const row = await rig.connect(connectionId).finally(() => {
    rig.provider.knobs.expiresIn = saved;
  });
  const ref = { environment: rig.environment, integration: rig.integration, connection: row };
  await new ConnectionWorkflows(env.client, rig.taskQueue).credentialsStored(ref);
  const workflowId = connectionWorkflowId(rig.environment.name, rig.integration.uniqueKey, row.connectionId);
  return { row, ref, workflowId, handle: env.client.workflow.getHandle(workflowId) };
}
