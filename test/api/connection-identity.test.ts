import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectionWorkflowId } from '../../workflows/connection-messages';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { FAKE_PROVIDER, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';
import { decodePayloads } from '../support/workflow-history';

/** The connection row named in the input of the workflow's current run. */
async function inputRowOf(env: TestWorkflowEnvironment, workflowId: string): Promise<string> {
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const [input] = decodePayloads(events[0]?.workflowExecutionStartedEventAttributes?.input) as [{ connectionRowId: string }];
  return input.connectionRowId;
}

interface Imported {
  rowId: string;
  accessToken: string;
  refreshToken: string;
}

describe('connection identity through the API: integrations "a" and "a:b" (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { knobs: { rotateRefreshTokens: true } });
    for (const key of ['a', 'a:b']) {
      const created = await http(rig.api.url, 'POST', '/integrations', {
        token: rig.api.secretKey,
        body: { provider: FAKE_PROVIDER, unique_key: key, credentials: { type: 'OAUTH2', client_id: rig.provider.knobs.clientId, client_secret: rig.provider.knobs.clientSecret } },
      });
      expect(created.status).to.equal(200);
    }
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  /** Real tokens from the fake provider, imported as (integration, connection id). */
  async function importConnection(integration: string, connectionId: string): Promise<Imported> {
    const tokens = await obtainTokens(rig.provider);
    const response = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: {
        provider_config_key: integration,
        connection_id: connectionId,
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(response.status).to.equal(201);
    return { rowId: response.body.id as string, accessToken: tokens.access_token as string, refreshToken: tokens.refresh_token as string };
  }

  const forceRefresh = (integration: string, connectionId: string) =>
    http(rig.api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=${encodeURIComponent(integration)}&force_refresh=true&refresh_token=true`, { token: rig.api.secretKey });

  it('refreshes connection "b:c" of "a" and connection "c" of "a:b" each with its own refresh token, into its own new token, in two workflows', async () => {
    const first = await importConnection('a', 'b:c');
    const second = await importConnection('a:b', 'c');
    const earlier = rig.provider.tokenCalls('refresh_token').length;

    const firstRefresh = await forceRefresh('a', 'b:c');
    expect(firstRefresh.status).to.equal(200);
    const secondRefresh = await forceRefresh('a:b', 'c');
    expect(secondRefresh.status).to.equal(200);

    const refreshes = rig.provider.tokenCalls('refresh_token').slice(earlier);
    expect(refreshes.map((call) => [call.refreshTokenUsed, call.status])).to.deep.equal([[first.refreshToken, 200], [second.refreshToken, 200]]);
    expect(firstRefresh.body.id).to.equal(first.rowId);
    expect(secondRefresh.body.id).to.equal(second.rowId);
    const firstToken = firstRefresh.body.credentials.access_token as string;
    const secondToken = secondRefresh.body.credentials.access_token as string;
    expect([firstToken, secondToken].every((token) => rig.provider.isAccessTokenValid(token))).to.equal(true);
    expect(new Set([first.accessToken, second.accessToken, firstToken, secondToken]).size).to.equal(4);
    // Rotating refresh tokens: each connection now holds the one issued to it.
    expect(firstRefresh.body.credentials.refresh_token).to.not.be.oneOf([first.refreshToken, second.refreshToken]);
    expect(secondRefresh.body.credentials.refresh_token).to.not.be.oneOf([first.refreshToken, second.refreshToken, firstRefresh.body.credentials.refresh_token]);

    const ids = [connectionWorkflowId('dev', 'a', 'b:c'), connectionWorkflowId('dev', 'a:b', 'c')];
    expect(ids).to.deep.equal(['connection:dev:a:b%3Ac', 'connection:dev:a%3Ab:c']);
    const described = await Promise.all(ids.map((id) => env.client.workflow.getHandle(id).describe()));
    expect(described.map((d) => d.status.name)).to.deep.equal(['RUNNING', 'RUNNING']);
    expect(await Promise.all(ids.map((id) => inputRowOf(env, id)))).to.deep.equal([first.rowId, second.rowId]);
  });
});
