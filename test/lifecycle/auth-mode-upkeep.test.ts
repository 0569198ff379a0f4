import { expect } from 'chai';
import { connectionRow, operationLog, useLifecycleSuite } from './lifecycle-suite';
import { stateQuery } from '../../workflows/connection-messages';
import type { Credentials } from '../../src/connections/credentials';
import type { Lifecycle } from '../support/lifecycle';
import { fakeApiKeyEntry } from '../support/fake-provider';
import { mountTwoStep, type TwoStepFake } from '../support/fake-modes/two-step';

async function importCredentials(rig: Lifecycle, connectionId: string, credentials: Credentials, expiresAt: Date | null) {
  const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId, credentials, expiresAt });
  return row;
}

describe('upkeep per auth mode: OAUTH2_CC re-mints before expiry (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ entry: { auth_mode: 'OAUTH2_CC', authorization_url: undefined }, knobs: { expiresIn: 3600 } });

  it('mints a new token with the client credentials grant before each expiry', async () => {
    const { rig, env } = s;
    const row = await importCredentials(
      rig,
      'cc',
      { type: 'OAUTH2_CC', token: 'initial-token-value', expires_at: new Date(Date.now() + 3_600_000).toISOString(), client_id: rig.provider.knobs.clientId, client_secret: rig.provider.knobs.clientSecret, raw: {} },
      new Date(Date.now() + 3_600_000),
    );
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('3 hours');
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    const mints = rig.provider.tokenCalls('client_credentials');
    expect(mints.length).to.be.within(3, 4);
    expect(mints.every((c) => c.status === 200)).to.equal(true);
    const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
    expect(stored.type === 'OAUTH2_CC' && rig.provider.isAccessTokenValid(stored.token)).to.equal(true);
    expect(state.status).to.equal('active');
    expect(Date.parse(state.expiresAt!)).to.be.greaterThan(Date.parse(state.lastRefreshAt!));
  });
});

describe('upkeep per auth mode: API_KEY is verified daily (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({
    entry: (url) => ({ ...fakeApiKeyEntry({ url }), authorization_url: undefined, token_url: undefined }),
    knobs: { apiKeys: ['key-that-works-1234'] },
  });

  it('checks the key once a day and turns the connection invalid the day the provider refuses it', async () => {
    const { rig, env } = s;
    const row = await importCredentials(rig, 'api-key', { type: 'API_KEY', apiKey: 'key-that-works-1234' }, null);
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('50 hours');
    const verifications = () => rig.provider.calls.filter((c) => c.path === '/verify');
    expect(verifications().map((c) => c.status)).to.deep.equal([200, 200]);
    rig.provider.knobs.apiKeys = [];
    await env.sleep('24 hours');
    expect(verifications().map((c) => c.status)).to.deep.equal([200, 200, 401]);
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'credentials_rejected' });
    expect((await connectionRow(rig, row.id)).status).to.equal('invalid');
    const log = await operationLog(rig, row.id);
    expect(log.filter((l) => l.type === 'verification').map((l) => l.level)).to.include.members(['info', 'error']);
    await env.sleep('3 days');
    expect(verifications(), 'no further checks once invalid').to.have.length(3);
  });
});

describe('upkeep per auth mode: an expiring OAUTH2 token without a refresh token (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('is reported at expiry: invalid with missing_refresh_token, a log line and one failure webhook', async () => {
    const { rig, env, receiver } = s;
    const { row } = await rig.connections.importConnection({
      environmentId: rig.environment.id,
      integrationId: rig.integration.id,
      connectionId: 'no-refresh-token',
      credentials: { type: 'OAUTH2', access_token: 'access-without-refresh', expires_at: new Date(Date.now() + 3_600_000).toISOString(), raw: {} },
      expiresAt: new Date(Date.now() + 3_600_000),
      webhookUrlOverride: receiver.url,
    });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('30 minutes');
    expect((await env.client.workflow.getHandle(workflowId).query(stateQuery)).status, 'still valid for 30 min: left alone').to.equal('active');
    await env.sleep('45 minutes');
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'missing_refresh_token' });
    expect(rig.provider.tokenCalls()).to.deep.equal([]);
    const log = await operationLog(rig, row.id);
    expect(log.some((l) => l.level === 'error' && l.message.includes('no refresh token'))).to.equal(true);
    await receiver.waitForAnswered(1, 5_000);
    expect(receiver.received).to.have.length(1);
  });
});

describe('upkeep per auth mode: TWO_STEP obtains a new token before each expiry (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({
    entry: (url) => ({
      auth_mode: 'TWO_STEP',
      authorization_url: undefined,
      token_url: `${url}/two-step/login`,
      body_format: 'json',
      token_params: { username: '${credentials.username}', password: '${credentials.password}' },
      token_headers: { 'x-api-key': '${credentials.apiKey}' },
      token_response: { token: 'data.session.token', token_expiration: 'data.session.expires_in', token_expiration_strategy: 'expireIn' },
      proxy: { base_url: url },
    }),
  });
  let fake: TwoStepFake;
  before(() => {
    fake = mountTwoStep(s.rig.provider);
  });

  it('logs in again with the stored credentials ahead of each expiry, and goes invalid once they are refused', async () => {
    const { rig, env } = s;
    const typed = { username: 'api-user', password: fake.knobs.users['api-user']!, apiKey: fake.knobs.apiKey };
    const row = await importCredentials(rig, 'two-step', { type: 'TWO_STEP', ...typed, token: 'initial-two-step-token', expires_at: new Date(Date.now() + 3_600_000).toISOString(), raw: {} }, new Date(Date.now() + 3_600_000));
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('3 hours');
    const logins = () => rig.provider.calls.filter((c) => c.path === '/two-step/login');
    expect(logins().length).to.be.within(3, 4);
    expect(logins().every((c) => c.status === 200)).to.equal(true);
    const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
    expect(stored.type === 'TWO_STEP' && fake.isValid(stored.token)).to.equal(true);
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state.status).to.equal('active');
    expect(Date.parse(state.expiresAt!)).to.be.greaterThan(Date.parse(state.lastRefreshAt!));

    fake.knobs.refuse = true;
    await env.sleep('2 hours');
    const refusedState = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(refusedState.status).to.equal('invalid');
    expect(refusedState.lastErrorCode).to.equal('invalid_client');
  });
});
