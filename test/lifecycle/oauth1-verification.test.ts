import { expect } from 'chai';
import { connectionRow, operationLog, useLifecycleSuite } from './lifecycle-suite';
import { stateQuery } from '../../workflows/connection-messages';

describe('upkeep per auth mode: OAUTH1 is verified daily with a signed request (time skipping)', function () {
  this.timeout(120_000);
  const token = { token: 'oauth1-token-that-works', tokenSecret: 'oauth1-token-secret-that-works' };
  const s = useLifecycleSuite({
    entry: (url) => ({
      auth_mode: 'OAUTH1',
      request_url: `${url}/oauth1/request_token`,
      authorization_url: `${url}/oauth1/authorize`,
      token_url: `${url}/oauth1/access_token`,
      signature_method: 'HMAC-SHA1',
      proxy: { base_url: url, verification: { method: 'GET', endpoints: ['/verify'] } },
    }),
    knobs: { oauth1Tokens: [token] },
  });

  it('checks the token once a day and turns the connection invalid the day the provider refuses it', async () => {
    const { rig, env } = s;
    const { row } = await rig.connections.importConnection({
      environmentId: rig.environment.id,
      integrationId: rig.integration.id,
      connectionId: 'oauth1',
      credentials: { type: 'OAUTH1', oauth_token: token.token, oauth_token_secret: token.tokenSecret, raw: {} },
      expiresAt: null,
    });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('50 hours');
    const verifications = () => rig.provider.calls.filter((c) => c.path === '/verify');
    expect(verifications().map((c) => [c.status, c.oauth1])).to.deep.equal([
      [200, 'valid'],
      [200, 'valid'],
    ]);
    expect((await env.client.workflow.getHandle(workflowId).query(stateQuery)).status).to.equal('active');
    rig.provider.knobs.oauth1Tokens = [];
    await env.sleep('24 hours');
    expect(verifications().map((c) => [c.status, c.oauth1])).to.deep.equal([
      [200, 'valid'],
      [200, 'valid'],
      [401, 'unknown_token'],
    ]);
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'credentials_rejected' });
    expect((await connectionRow(rig, row.id)).status).to.equal('invalid');
    const log = await operationLog(rig, row.id);
    expect(log.filter((l) => l.type === 'verification').map((l) => l.level)).to.include.members(['info', 'error']);
    await env.sleep('3 days');
    expect(verifications(), 'no further checks once invalid').to.have.length(3);
  });
});
