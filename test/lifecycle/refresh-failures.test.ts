import { expect } from 'chai';
import { EnvironmentEntity } from '../../src/db/entities';
import type { Credentials } from '../../src/connections/credentials';
import { credentialsReplacedSignal, refreshUpdate, stateQuery, type RefreshResult } from '../../workflows/connection-messages';
import { obtainTokens, type Lifecycle } from '../support/lifecycle';
import { runHistories } from '../support/workflow-history';
import {
  connectionRow,
  deliveriesOf,
  nangoAccepts,
  operationLog,
  parseWebhook,
  realDelay,
  refreshActivities,
  refreshFailureWebhooks,
  useLifecycleSuite,
  waitForState,
} from './lifecycle-suite';

const INVALID_GRANT = { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token revoked' } };

function accessTokenOf(rig: Lifecycle, row: Parameters<Lifecycle['connections']['credentialsOf']>[0]): string {
  const credentials: Credentials = rig.connections.credentialsOf(row);
  if (credentials.type !== 'OAUTH2') throw new Error(`expected OAUTH2 credentials, got ${credentials.type}`);
  return credentials.access_token;
}

describe('refresh failures: transient 503s while the token is still valid (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('retries inside the refresh activity, stores a new token, never goes invalid and sends no webhook', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('transient-503', { webhookUrl: receiver.url });
    const firstToken = accessTokenOf(rig, row);
    rig.provider.failNext(3, { status: 503 });
    const { workflowId, firstRunId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('50 minutes');
    const state = await handle.query(stateQuery);

    const refreshes = rig.provider.tokenCalls('refresh_token');
    expect(refreshes.map((c) => c.status)).to.deep.equal([503, 503, 503, 200]);
    const after = await connectionRow(rig, row.id);
    expect(after.status).to.equal('active');
    expect(after.lastRefreshFailureReason).to.equal(null);
    expect(after.credentialsVersion).to.equal(row.credentialsVersion + 1);
    const newToken = accessTokenOf(rig, after);
    expect(newToken).to.not.equal(firstToken);
    expect(rig.provider.isAccessTokenValid(newToken)).to.equal(true);
    expect(state).to.include({ status: 'active', consecutiveFailures: 0, lastErrorCode: null });

    // One activity, four attempts, no workflow-level failure.
    const runs = await runHistories(env.client, workflowId, firstRunId);
    const activities = runs.flatMap((run) => refreshActivities(run.events));
    expect(activities).to.have.length(1);
    expect(activities[0]).to.include({ failed: false, attempt: 4 });
    expect(activities[0]!.outcome?.result).to.equal('refreshed');

    const log = await operationLog(rig, row.id);
    expect(log.filter((l) => l.level === 'warn' && l.message.startsWith('attempt failed'))).to.have.length(3);
    expect(log.filter((l) => l.type === 'status_change'), 'never left active').to.deep.equal([]);
    expect(await deliveriesOf(rig, row.id)).to.deep.equal([]);
    expect(receiver.received, 'no webhook while the token was valid').to.deep.equal([]);
  });

});

describe('refresh failures: the refresh activity gives up while the token is still valid (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('backs off in the workflow (30 s), records the failure without a webhook, then refreshes', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('transient-exhausted', { webhookUrl: receiver.url });
    const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
    // 5 activity attempts fail (the whole first activity), then 2 more inside the second one.
    rig.provider.failNext(7, { status: 503 });
    const { workflowId, firstRunId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('50 minutes');
    const state = await handle.query(stateQuery);

    const refreshes = rig.provider.tokenCalls('refresh_token').slice(refreshesBefore);
    expect(refreshes.map((c) => c.status)).to.deep.equal([503, 503, 503, 503, 503, 503, 503, 200]);
    const runs = await runHistories(env.client, workflowId, firstRunId);
    const activities = runs.flatMap((run) => refreshActivities(run.events));
    expect(activities.map((a) => a.failed)).to.deep.equal([true, false]);
    expect(activities[0]!.attempt).to.equal(5);
    expect(activities[1]!.scheduledAt - activities[0]!.closedAt, 'workflow back-off (retryDelayMs(1) = 30 s)').to.be.within(30_000, 31_000);
    const recorded = runs.flatMap((run) => run.events).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRefreshFailure');
    expect(recorded).to.have.length(1);

    const after = await connectionRow(rig, row.id);
    expect(after.status).to.equal('active');
    expect(after.lastRefreshFailureReason).to.equal(null);
    expect(state).to.include({ status: 'active', consecutiveFailures: 0, lastErrorCode: null });
    expect((await operationLog(rig, row.id)).filter((l) => l.type === 'status_change')).to.deep.equal([]);
    expect(await deliveriesOf(rig, row.id)).to.deep.equal([]);
    expect(receiver.received).to.deep.equal([]);
  });
});

describe('refresh failures: an outage that outlasts the token (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('goes degraded with exactly one failure webhook, then recovers with one recovery webhook', async () => {
    const { rig, env, receiver } = s;
    await rig.db.getRepository(EnvironmentEntity).update({ id: rig.environment.id }, { onAuthRefreshRecovered: true });
    const row = await rig.connect('outage', { webhookUrl: receiver.url });
    // 7 workflow-level attempts of 5 activity attempts each: the 6th or 7th ends after expiry (~44 min + 30 s…8 min back-offs).
    rig.provider.failNext(35, { status: 503 });
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('75 minutes');
    const during = await handle.query(stateQuery);
    expect(during.status).to.equal('degraded');
    expect(during.lastErrorCode).to.equal('provider_server_error');
    expect((await connectionRow(rig, row.id)).status).to.equal('degraded');
    await receiver.waitForAnswered(1);
    const failures = refreshFailureWebhooks(receiver);
    expect(failures).to.have.length(1);
    expect(parseWebhook(failures[0]!).error?.type).to.equal('provider_server_error');

    await env.sleep('1 hour');
    const state = await handle.query(stateQuery);
    expect(state).to.include({ status: 'active', consecutiveFailures: 0, lastErrorCode: null });
    const after = await connectionRow(rig, row.id);
    expect(after.status).to.equal('active');
    expect(rig.provider.isAccessTokenValid(accessTokenOf(rig, after))).to.equal(true);
    await receiver.waitForAnswered(2);
    expect(refreshFailureWebhooks(receiver), 'one failure webhook per episode').to.have.length(1);
    const bodies = receiver.received.map(parseWebhook);
    expect(bodies.map((b) => [b.operation, b.success])).to.deep.equal([
      ['refresh', false],
      ['refresh', true],
    ]);
    for (const received of receiver.received) expect(nangoAccepts(rig, received)).to.equal(true);
    const changes = (await operationLog(rig, row.id)).filter((l) => l.type === 'status_change').map((l) => l.context['to']);
    expect(changes).to.deep.equal(['degraded']);
  });
});

describe('refresh failures: 429 with Retry-After (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('waits at least Retry-After (120 s of workflow time) before the next attempt, then refreshes', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('rate-limited', { webhookUrl: receiver.url });
    rig.provider.failNext(1, { status: 429, retryAfterSeconds: 120 });
    const { workflowId, firstRunId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('50 minutes');
    const state = await handle.query(stateQuery);

    expect(rig.provider.tokenCalls('refresh_token').map((c) => c.status)).to.deep.equal([429, 200]);
    const runs = await runHistories(env.client, workflowId, firstRunId);
    const activities = runs.flatMap((run) => refreshActivities(run.events));
    // A Retry-After over 30 s is waited out by the workflow's timer (not inside the activity), so expiry stays observable.
    expect(activities).to.have.length(2);
    const [first, second] = activities;
    expect(first).to.include({ failed: true });
    expect(second!.outcome?.result).to.equal('refreshed');
    const waitedMs = second!.scheduledAt - first!.closedAt;
    expect(waitedMs, 'the next attempt came at least Retry-After after the refused one').to.be.at.least(120_000);
    expect(waitedMs, 'and not much later').to.be.below(130_000);
    expect(state).to.include({ status: 'active', consecutiveFailures: 0 });
    expect((await connectionRow(rig, row.id)).status).to.equal('active');
    expect(receiver.received).to.deep.equal([]);
  });
});

describe('refresh failures: invalid_grant is permanent until new credentials arrive (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('marks the connection invalid, sends one signed webhook, stops calling the provider, and revives on credentialsReplaced', async () => {
    const { rig, env, receiver } = s;
    const connectionId = 'permanent';
    const row = await rig.connect(connectionId, { webhookUrl: receiver.url });
    rig.provider.failNext(1, INVALID_GRANT);
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('50 minutes');
    const state = await handle.query(stateQuery);
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'invalid_grant', nextRefreshAt: null });
    const invalid = await connectionRow(rig, row.id);
    expect(invalid.status).to.equal('invalid');
    expect(invalid.lastRefreshFailureReason).to.equal('invalid_grant');
    expect(rig.provider.tokenCalls('refresh_token').map((c) => c.status)).to.deep.equal([400]);

    await receiver.waitForAnswered(1);
    expect(receiver.received).to.have.length(1);
    const [webhook] = receiver.received;
    expect(webhook!.method).to.equal('POST');
    const body = parseWebhook(webhook!);
    expect(body).to.include({ type: 'auth', operation: 'refresh', success: false, connectionId });
    expect(body.error?.type).to.equal('invalid_grant');
    expect(nangoAccepts(rig, webhook!), 'signature accepted by @nangohq/node').to.equal(true);
    const deliveries = await deliveriesOf(rig, row.id);
    expect(deliveries.map((d) => [d.status, d.attempts])).to.deep.equal([['delivered', 1]]);
    expect(webhook!.headers['webhook-id']).to.equal(deliveries[0]!.eventId);
    const log = await operationLog(rig, row.id);
    expect(log.filter((l) => l.type === 'status_change').map((l) => l.context['to'])).to.deep.equal(['invalid']);

    // A day later: not one more call to the provider, not one more webhook.
    const tokenCallsBefore = rig.provider.tokenCalls().length;
    await env.sleep('1 day');
    expect(rig.provider.tokenCalls().length).to.equal(tokenCallsBefore);
    expect(receiver.received).to.have.length(1);
    expect((await handle.query(stateQuery)).status).to.equal('invalid');

    // New credentials imported over the same connection id, and the workflow told about them.
    const revived = await rig.connect(connectionId, { webhookUrl: receiver.url });
    expect(revived.id).to.equal(row.id);
    expect(revived.status).to.equal('active');
    await handle.signal(credentialsReplacedSignal);
    const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
    await env.sleep('2 hours');

    const back = await handle.query(stateQuery);
    expect(back).to.include({ status: 'active', lastErrorCode: null, consecutiveFailures: 0 });
    const refreshesAfter = rig.provider.tokenCalls('refresh_token').slice(refreshesBefore);
    expect(refreshesAfter.length).to.be.within(2, 3);
    expect(refreshesAfter.every((c) => c.status === 200)).to.equal(true);
    const final = await connectionRow(rig, row.id);
    expect(final.status).to.equal('active');
    expect(final.credentialsVersion).to.be.greaterThan(revived.credentialsVersion);
    expect(rig.provider.isAccessTokenValid(accessTokenOf(rig, final))).to.equal(true);
    expect(refreshFailureWebhooks(receiver)).to.have.length(1);
  });
});

describe('refresh failures: a refusal that lost the race to another writer (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('keeps the other writer\'s credentials: no invalid status, no error code, no webhook', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('lost-race', { webhookUrl: receiver.url });
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    await waitForState(handle);
    const otherTokens = await obtainTokens(rig.provider);

    rig.provider.knobs.latencyMs = 1500;
    rig.provider.failNext(1, INVALID_GRANT);
    const started = Date.now();
    const pending = handle.executeUpdate(refreshUpdate);
    pending.catch(() => undefined);
    await realDelay(500);
    expect(rig.provider.tokenCalls('refresh_token'), 'refresh in flight').to.have.length(1);
    expect(rig.provider.tokenCalls('refresh_token')[0]!.status, 'not answered yet').to.equal(0);
    const expiresAt = new Date(Date.now() + 3600_000);
    const { row: written } = await rig.connections.importConnection({
      environmentId: rig.environment.id,
      integrationId: rig.integration.id,
      connectionId: row.connectionId,
      credentials: { type: 'OAUTH2', access_token: String(otherTokens.access_token), refresh_token: String(otherTokens.refresh_token), expires_at: expiresAt.toISOString(), raw: otherTokens },
      expiresAt,
    });
    expect(written.credentialsVersion).to.equal(row.credentialsVersion + 1);
    const result: RefreshResult = await pending;
    rig.provider.knobs.latencyMs = 0;

    expect(Date.now() - started).to.be.at.least(1500);
    expect(rig.provider.tokenCalls('refresh_token').map((c) => c.status)).to.deep.equal([400]);
    expect(result.errorCode).to.equal(null);
    expect(result.status).to.equal('active');
    expect(result.expiresAt).to.equal(expiresAt.toISOString());
    const after = await connectionRow(rig, row.id);
    expect(after.status).to.equal('active');
    expect(after.lastRefreshFailureReason).to.equal(null);
    expect(after.credentialsVersion).to.equal(written.credentialsVersion);
    expect(accessTokenOf(rig, after), 'the other writer\'s token is kept').to.equal(otherTokens.access_token);
    const state = await handle.query(stateQuery);
    expect(state).to.include({ status: 'active', lastErrorCode: null, expiresAt: expiresAt.toISOString() });
    const log = await operationLog(rig, row.id);
    expect(log.some((l) => l.message.includes('newer credentials were stored meanwhile'))).to.equal(true);
    expect(log.filter((l) => l.type === 'status_change')).to.deep.equal([]);
    await realDelay(500);
    expect(await deliveriesOf(rig, row.id)).to.deep.equal([]);
    expect(receiver.received).to.deep.equal([]);
  });
});

describe('refresh failures: a slow webhook receiver does not hold up the refresh (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('returns the invalid refresh result before the receiver answers (receiver holds 3 s)', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('slow-receiver', { webhookUrl: receiver.url });
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    await waitForState(handle);
    receiver.delayMs = 3000;
    rig.provider.failNext(1, INVALID_GRANT);

    const started = Date.now();
    const result = await handle.executeUpdate(refreshUpdate);
    const returnedAt = Date.now();
    expect(result).to.include({ status: 'invalid', errorCode: 'invalid_grant' });
    expect(returnedAt - started, 'update latency (ms)').to.be.below(2000);

    await receiver.waitForAnswered(1, 20_000);
    const [webhook] = receiver.received;
    expect(webhook!.answeredAt - webhook!.receivedAt).to.be.at.least(2900);
    expect(returnedAt, 'the update returned before the receiver answered').to.be.below(webhook!.answeredAt);
    expect(parseWebhook(webhook!)).to.include({ type: 'auth', operation: 'refresh', success: false });
    expect(nangoAccepts(rig, webhook!)).to.equal(true);
    // The delivery is recorded once the slow answer arrives.
    const deadline = Date.now() + 10_000;
    let deliveries = await deliveriesOf(rig, row.id);
    while (deliveries[0]?.status !== 'delivered' && Date.now() < deadline) {
      await realDelay(100);
      deliveries = await deliveriesOf(rig, row.id);
    }
    expect(deliveries.map((d) => [d.status, d.attempts])).to.deep.equal([['delivered', 1]]);
  });
});

describe('refresh failures: a Retry-After longer than the token has left (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('reports the connection degraded (and sends the failure webhook) once the token has expired, instead of waiting inside the activity', async () => {
    const { rig, env, receiver } = s;
    const row = await rig.connect('long-retry-after', { webhookUrl: receiver.url });
    // Refresh is due ~44 min in; the provider asks for 2 hours; the token expires at 60 min.
    rig.provider.failNext(1, { status: 429, retryAfterSeconds: 7200 });
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);

    await env.sleep('80 minutes');
    expect(rig.provider.tokenCalls('refresh_token').map((c) => c.status)).to.deep.equal([429]);
    const state = await handle.query(stateQuery);
    const current = await connectionRow(rig, row.id);
    expect(current.expiresAt!.getTime(), 'the stored token has expired (workflow time)').to.be.below(row.expiresAt!.getTime() + 1);
    expect({ workflow: state.status, row: current.status }, 'status 20 min after expiry').to.deep.equal({ workflow: 'degraded', row: 'degraded' });
    await receiver.waitForAnswered(1, 5_000);
    expect(refreshFailureWebhooks(receiver).map((r) => parseWebhook(r).error?.type)).to.deep.equal(['provider_rate_limited']);
  });
});
