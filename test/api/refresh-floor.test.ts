import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { connectionWorkflowId, refreshUpdate } from '../../workflows/connection-messages';

const FLOOR_MS = 5_000; // REFRESH_FLOOR's default

describe('REFRESH_FLOOR: forced refreshes of one connection call the provider at most once per floor (dev server)', function () {
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

  it('a loop of forced reads cannot hammer the provider: 20 forced refreshes within the floor make one provider call', async () => {
    await rig.importFromProvider('floor-loop');
    const started = Date.now();
    const responses = [];
    for (let i = 0; i < 20; i += 1) responses.push(await get('floor-loop', '&force_refresh=true'));
    expect(Date.now() - started, 'the loop ran inside the floor').to.be.below(FLOOR_MS);
    expect(responses.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    // Every read inside the floor serves the token the one refresh stored, which the provider still accepts.
    const tokens = new Set(responses.map((r) => r.body.credentials.access_token as string));
    expect(tokens.size).to.equal(1);
    expect(rig.provider.isAccessTokenValid([...tokens][0]!)).to.equal(true);
  });

  it('answers refresh Updates sent straight to the workflow inside the floor without calling the provider', async () => {
    await rig.importFromProvider('floor-updates');
    const handle = env.client.workflow.getHandle(connectionWorkflowId('dev', 'fake', 'floor-updates'));
    const results = [];
    // 20 Updates, or as many as fit well inside the floor on a loaded machine: every one of them comes after
    // the first Update's provider call by less than the floor, so only that one call may reach the provider.
    const started = Date.now();
    while (results.length < 20 && Date.now() - started < FLOOR_MS - 1_000) results.push(await handle.executeUpdate(refreshUpdate));
    expect(results.length, 'the floor was exercised by more than one Update').to.be.at.least(2);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    expect(results.every((r) => r.errorCode === null && r.status === 'active')).to.equal(true);
    expect(new Set(results.map((r) => r.expiresAt)).size).to.equal(1);
  });

  it('a forced read inside the floor after a failed attempt gets that attempt\'s error without another provider call', async function () {
    this.timeout(90_000);
    await rig.importFromProvider('floor-failed');
    // Every try of the one refresh activity (five, a few seconds apart) gets a 503.
    rig.provider.failNext(5, { status: 503 });
    const failed = await get('floor-failed', '&force_refresh=true');
    const calls = rig.provider.tokenCalls('refresh_token').length;
    expect(calls).to.equal(5);
    expect(failed.status).to.be.within(400, 499);
    const again = await get('floor-failed', '&force_refresh=true');
    expect(again.status).to.equal(failed.status);
    expect(again.body).to.deep.equal(failed.body);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(calls);
  });

  it('after the floor, a forced refresh calls the provider again', async () => {
    await rig.importFromProvider('floor-after');
    const first = await get('floor-after', '&force_refresh=true');
    expect(first.status).to.equal(200);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    await new Promise((resolve) => setTimeout(resolve, FLOOR_MS + 300));
    const second = await get('floor-after', '&force_refresh=true');
    expect(second.status).to.equal(200);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(2);
    expect(second.body.credentials.access_token).to.not.equal(first.body.credentials.access_token);
  });
});
