import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { connectionWorkflowId, refreshUpdate } from '../../workflows/connection-messages';

describe('GET /connections/:id refreshes through the connection workflow (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });
  beforeEach(() => rig.provider.reset());

  const get = (id: string, query = '') => http(rig.api.url, 'GET', `/connections/${id}?provider_config_key=fake${query}`, { token: rig.api.secretKey });

  it('serves a fresh token straight from the database without calling the provider', async () => {
    const imported = await rig.importFromProvider('fresh-1');
    expect(imported.status).to.equal(201);
    const before = rig.provider.calls.length;
    const response = await get('fresh-1');
    expect(response.status).to.equal(200);
    expect(response.body.credentials.access_token).to.equal((imported.body.credentials as { access_token: string }).access_token);
    expect(response.body.credentials).to.not.have.property('refresh_token');
    expect(JSON.stringify(response.body)).to.not.match(/fake-rt-/);
    expect(rig.provider.calls.length).to.equal(before);
  });

  it('ignores refresh_github_app_jwt_token on an OAuth 2.0 connection, as Nango does (no refresh token spent); force_refresh still refreshes', async () => {
    const imported = await rig.importFromProvider('app-jwt-flag');
    const token = (imported.body.credentials as { access_token: string }).access_token;
    const flagged = await get('app-jwt-flag', '&refresh_github_app_jwt_token=true');
    expect(flagged.status).to.equal(200);
    expect(flagged.body.credentials.access_token).to.equal(token);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(0);
    const forced = await get('app-jwt-flag', '&force_refresh=true');
    expect(forced.body.credentials.access_token).to.not.equal(token);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
  });

  it('answers 50 concurrent force_refresh calls with one provider refresh and the same new token', async () => {
    await rig.importFromProvider('single-flight');
    rig.provider.knobs.latencyMs = 1_000;
    const responses = await Promise.all(Array.from({ length: 50 }, () => get('single-flight', '&force_refresh=true')));
    rig.provider.knobs.latencyMs = 0;
    expect(responses.map((r) => r.status)).to.deep.equal(Array(50).fill(200));
    const refreshes = rig.provider.tokenCalls('refresh_token');
    expect(refreshes).to.have.length(1);
    expect(refreshes[0]!.status).to.equal(200);
    const tokens = new Set(responses.map((r) => r.body.credentials.access_token as string));
    expect(tokens.size).to.equal(1);
    expect(rig.provider.isAccessTokenValid([...tokens][0]!)).to.equal(true);
    expect(rig.provider.calls.filter((c) => JSON.stringify(c).includes('invalid_grant'))).to.deep.equal([]);
  });

  it('shares one provider refresh among concurrent refresh Updates sent straight to the workflow (another API instance)', async () => {
    await rig.importFromProvider('workflow-single-flight');
    rig.provider.knobs.latencyMs = 1_000;
    const handle = env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'workflow-single-flight'));
    const results = await Promise.all(Array.from({ length: 8 }, () => handle.executeUpdate(refreshUpdate)));
    rig.provider.knobs.latencyMs = 0;
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    expect(new Set(results.map((r) => r.expiresAt)).size).to.equal(1);
    expect(results.every((r) => r.errorCode === null && r.status === 'active')).to.equal(true);
  });
});
