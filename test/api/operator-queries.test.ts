import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { connectionWorkflowId } from '../../workflows/connection-messages';

describe('operators filter connection workflows by search attributes (dev server)', function () {
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

  async function listIds(query: string, expected: number): Promise<string[]> {
    let ids: string[] = [];
    // Visibility is eventually consistent: poll, bounded (60 s: under CI load the dev server's visibility once lagged past 20 s).
    for (let i = 0; i < 300; i++) {
      ids = [];
      for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
      if (ids.length === expected) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return ids.sort();
  }

  it('finds exactly the invalid connections, and a connection by its end user', async () => {
    for (const id of ['op-a', 'op-b', 'op-c']) {
      const imported = await rig.importFromProvider(id, { end_user: { id: `user-${id}`, email: `${id}@example.com` } });
      expect(imported.status).to.equal(201);
    }
    for (const id of ['op-a', 'op-c']) {
      rig.provider.failNext(1, { status: 400, body: { error: 'invalid_grant' } });
      const response = await http(rig.api.url, 'GET', `/connections/${id}?provider_config_key=fake&force_refresh=true`, { token: rig.api.secretKey });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_credentials');
    }
    const invalid = await listIds(`CustodianStatus = 'invalid' AND CustodianIntegration = 'fake' AND ExecutionStatus = 'Running'`, 2);
    expect(invalid).to.deep.equal([connectionWorkflowId('dev', 'fake', 'op-a'), connectionWorkflowId('dev', 'fake', 'op-c')]);
    const active = await listIds(`CustodianStatus = 'active' AND CustodianProvider = 'fake-oauth'`, 1);
    expect(active).to.deep.equal([connectionWorkflowId('dev', 'fake', 'op-b')]);
    const byUser = await listIds(`CustodianEndUserId = 'user-op-b' AND CustodianAuthMode = 'OAUTH2'`, 1);
    expect(byUser).to.deep.equal([connectionWorkflowId('dev', 'fake', 'op-b')]);
  });
});
