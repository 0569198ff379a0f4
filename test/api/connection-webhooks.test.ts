import { expect } from 'chai';
import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';
import { connectionWorkflowId, markInvalidSignal, stateQuery } from '../../workflows/connection-messages';

describe('webhooks for imports, deletions and reported-dead credentials (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let primary: WebhookReceiver;
  let secondary: WebhookReceiver;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    primary = await startWebhookReceiver();
    secondary = await startWebhookReceiver();
    const settings = await http(rig.api.url, 'PATCH', '/environment', {
      token: rig.api.secretKey,
      body: { webhook: { primary_url: primary.url, secondary_url: secondary.url, on_auth_creation: true, on_connection_deleted: true } },
    });
    expect(settings.status).to.equal(200);
  });
  after(async () => {
    await rig?.close();
    await primary?.close();
    await secondary?.close();
    await env?.teardown();
  });
  beforeEach(() => {
    primary.reset();
    secondary.reset();
  });

  const nango = () => new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
  const bodies = (receiver: WebhookReceiver) => receiver.received.map((r) => JSON.parse(r.rawBody) as Record<string, unknown>);
  const verified = (r: ReceivedWebhook) => nango().verifyIncomingWebhookRequest(r.rawBody, r.headers as Record<string, unknown>);

  it('sends a signed creation webhook with tags and end user to the primary and secondary URLs on import, then override on re-import', async () => {
    const endUser = { id: 'user-7', email: 'seven@example.com', tags: { plan: 'pro' } };
    expect((await rig.importFromProvider('hooked', { end_user: endUser, tags: { Team: 'blue' } })).status).to.equal(201);
    await primary.waitForAnswered(1);
    await secondary.waitForAnswered(1);
    const [creation] = bodies(primary);
    expect(creation).to.deep.include({ from: 'nango', type: 'auth', operation: 'creation', success: true, connectionId: 'hooked', providerConfigKey: 'fake', provider: 'fake-oauth', authMode: 'OAUTH2', environment: 'dev' });
    expect(creation!.tags).to.deep.equal({ team: 'blue' });
    expect(creation!.endUser).to.deep.equal({ endUserId: 'user-7', endUserEmail: 'seven@example.com', tags: { team: 'blue' } });
    expect(primary.received[0]!.rawBody, 'the same bytes to both targets').to.equal(secondary.received[0]!.rawBody);
    expect(verified(primary.received[0]!)).to.equal(true);
    expect(primary.received[0]!.rawBody).to.not.match(/fake-at-|fake-rt-/);

    expect((await rig.importFromProvider('hooked')).status).to.equal(201);
    await primary.waitForAnswered(2);
    expect(bodies(primary)[1]).to.include({ operation: 'override', success: true, connectionId: 'hooked' });
    expect(verified(primary.received[1]!)).to.equal(true);
  });

  it('sends the connection webhook to the override URL only', async () => {
    const override = await startWebhookReceiver();
    try {
      expect((await rig.importFromProvider('overridden', { webhook_url_override: override.url })).status).to.equal(201);
      await override.waitForAnswered(1);
      expect(bodies(override)[0]).to.include({ operation: 'creation', connectionId: 'overridden' });
      await new Promise((r) => setTimeout(r, 500));
      expect(primary.received).to.deep.equal([]);
    } finally {
      await override.close();
    }
  });

  it('sends a deletion webhook when the environment asks for it', async () => {
    await rig.importFromProvider('to-delete');
    await primary.waitForAnswered(1);
    const deleted = await http(rig.api.url, 'DELETE', '/connections/to-delete?provider_config_key=fake', { token: rig.api.secretKey });
    expect(deleted.status).to.equal(200);
    await primary.waitForAnswered(2);
    expect(bodies(primary)[1]).to.include({ type: 'connection', operation: 'deletion', connectionId: 'to-delete' });
    expect(verified(primary.received[1]!)).to.equal(true);
  });

  it('marks a connection invalid when its backend reports the credentials dead (markInvalid), with one failure webhook', async () => {
    await rig.importFromProvider('reported');
    await primary.waitForAnswered(1);
    const handle = env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'reported'));
    await handle.signal(markInvalidSignal, { reason: 'the API answered 401 to our backend' });
    let state = await handle.query(stateQuery);
    for (let i = 0; i < 50 && state.status !== 'invalid'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await handle.query(stateQuery);
    }
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'reported_invalid' });
    await primary.waitForAnswered(2);
    expect(bodies(primary)[1]).to.deep.include({ operation: 'refresh', success: false, error: { type: 'reported_invalid', description: 'the API answered 401 to our backend' } });
    const response = await http(rig.api.url, 'GET', '/connections/reported?provider_config_key=fake', { token: rig.api.secretKey });
    expect(response.status).to.equal(400);
    expect(response.body.error.code).to.equal('invalid_credentials');
    const [authError] = response.body.error.payload.connection.errors as Array<{ type: string; log_id: string }>;
    const logs = await http(rig.api.url, 'GET', '/connections/reported/logs?provider_config_key=fake', { token: rig.api.secretKey });
    const line = (logs.body.data as Array<{ id: string; message: string }>).find((l) => l.id === authError!.log_id);
    expect(line?.message, 'errors[].log_id points at the reason').to.equal('connection reported invalid by its backend');
  });
});
