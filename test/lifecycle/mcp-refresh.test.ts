import { expect } from 'chai';
import { connectionRow, useLifecycleSuite } from './lifecycle-suite';
import { stateQuery } from '../../workflows/connection-messages';
import { mcpOAuth2Generic } from '../../providers/auth-modes/mcp-oauth2';
import { nangoEntrySchema } from '../../providers/catalog-schema';
import type { IntegrationClient } from '../../providers/auth-modes/auth-mode';
import { fakeMcpGenericEntry, mountMcp } from '../support/fake-modes/mcp';

const REDIRECT_URI = 'https://custodian.example/oauth/callback';

describe('upkeep per auth mode: MCP_OAUTH2_GENERIC refreshes through its registered client before expiry (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ entry: () => ({ ...fakeMcpGenericEntry(), authorization_url: undefined, token_url: undefined }) });

  it('refreshes before each expiry with the resource, rotating the refresh token, and stays active', async () => {
    const { rig, env } = s;
    const mcp = mountMcp(rig.provider, { expiresIn: 3600 });
    const entry = nangoEntrySchema.parse({ ...fakeMcpGenericEntry() });
    const client: IntegrationClient = { clientId: null, clientSecret: null, scopes: [], custom: {} };
    const call = { now: new Date(), timeoutMs: 10_000 };
    // The authorization itself is the API's (test/api/auth-mcp.test.ts); here its result is imported.
    const redirect = await mcpOAuth2Generic.begin!({ entry, client, redirectUri: REDIRECT_URI, state: 's', scopes: [], connectionConfig: { mcp_server_url: mcp.serverUrl }, authorizationParams: {} }, call);
    const location = new URL((await fetch(redirect.url, { redirect: 'manual' })).headers.get('location')!);
    const connectionConfig = { mcp_server_url: mcp.serverUrl, ...redirect.connectionConfig };
    const obtained = await mcpOAuth2Generic.complete(
      { entry, client, received: Object.fromEntries(location.searchParams), attemptSecrets: redirect.attemptSecrets, redirectUri: REDIRECT_URI, connectionConfig },
      call,
    );
    const { row } = await rig.connections.importConnection({
      environmentId: rig.environment.id,
      integrationId: rig.integration.id,
      connectionId: 'mcp-upkeep',
      credentials: obtained.credentials,
      expiresAt: obtained.expiresAt,
      connectionConfig: { ...connectionConfig, ...obtained.connectionConfig },
    });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('3 hours');

    const refreshes = mcp.tokenRequests.filter((request) => request['grant_type'] === 'refresh_token');
    expect(refreshes.length).to.be.within(3, 4);
    expect(refreshes.every((request) => request['resource'] === mcp.resource && request['client_id'] === mcp.registrations[0]!.clientId)).to.equal(true);
    // Each refresh spends the token the previous one returned (rotation kept in the same write as the access token).
    expect(refreshes[0]!['refresh_token']).to.equal(obtained.credentials.refresh_token);
    expect(new Set(refreshes.map((request) => request['refresh_token'])).size).to.equal(refreshes.length);
    expect(rig.provider.calls.filter((c) => c.path === '/as/token').every((c) => c.status === 200)).to.equal(true);

    const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
    expect(stored.type).to.equal('MCP_OAUTH2_GENERIC');
    expect(stored.type === 'MCP_OAUTH2_GENERIC' && mcp.isAccessTokenValid(stored.access_token)).to.equal(true);
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state.status).to.equal('active');
    expect(Date.parse(state.expiresAt!)).to.be.greaterThan(Date.parse(state.lastRefreshAt!));
  });
});
