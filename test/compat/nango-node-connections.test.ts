import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { FAKE_PROVIDER } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';

interface HttpFailure {
  response?: { status: number; data: { error: { code: string; message?: string } } };
}

/** What a rejected SDK call carries (the axios error), or undefined when the call succeeded. */
function failureOf(promise: Promise<unknown>): Promise<HttpFailure | undefined> {
  return promise.then(
    () => undefined,
    (error: HttpFailure) => error,
  );
}

/** The official SDK pointed at Custodian: connections (API.md §2). */
describe('@nangohq/node against Custodian: connections (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let nango: Nango;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    nango = new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    await rig.api.deps.integrations.create(environment.id, {
      uniqueKey: 'sdk-list',
      provider: FAKE_PROVIDER,
      displayName: null,
      clientId: null,
      clientSecret: null,
      scopes: [],
      forwardWebhooks: false,
    });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });
  beforeEach(() => rig.provider.reset());

  /** Imports real tokens from the fake provider; returns the imported access and refresh tokens and the raw response. */
  async function connect(connectionId: string, extra: Record<string, unknown> = {}) {
    const imported = await rig.importFromProvider(connectionId, extra);
    expect(imported.status).to.equal(201);
    const credentials = imported.body.credentials as { access_token: string; refresh_token: string; raw: Record<string, unknown> };
    return { accessToken: credentials.access_token, refreshToken: credentials.refresh_token, raw: credentials.raw };
  }

  it('getConnection returns the stored connection and credentials, without the refresh token unless asked', async () => {
    const { accessToken, refreshToken } = await connect('sdk-get', {
      end_user: { id: 'eu-sdk', email: 'sdk@example.com', display_name: 'SDK User' },
      tags: { Plan: 'pro' },
      metadata: { seats: 5 },
      connection_config: { tenant: 'acme' },
    });
    const connection = await nango.getConnection('fake', 'sdk-get');
    expect(connection).to.include({ connection_id: 'sdk-get', provider_config_key: 'fake', provider: FAKE_PROVIDER });
    expect(connection.end_user).to.deep.equal({ id: 'eu-sdk', email: 'sdk@example.com', display_name: 'SDK User' });
    expect(connection.tags).to.deep.equal({ plan: 'pro' });
    expect(connection.metadata).to.deep.equal({ seats: 5 });
    expect(connection.connection_config).to.deep.equal({ tenant: 'acme' });
    expect(connection.errors).to.deep.equal([]);
    expect(connection.last_fetched_at).to.be.a('string');
    const credentials = connection.credentials as unknown as Record<string, unknown>;
    expect(credentials).to.include({ type: 'OAUTH2', access_token: accessToken });
    expect(credentials).to.not.have.property('refresh_token');
    expect(JSON.stringify(connection)).to.not.include(refreshToken);
    expect(Date.parse(credentials.expires_at as string)).to.be.greaterThan(Date.now() + 50 * 60_000);

    const withRefreshToken = await nango.getConnection('fake', 'sdk-get', false, true);
    expect((withRefreshToken.credentials as unknown as Record<string, unknown>).refresh_token).to.equal(refreshToken);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(0);
  });

  it('getConnection with forceRefresh returns a new access token (one provider refresh); getToken then returns it', async () => {
    const { accessToken } = await connect('sdk-force');
    const refreshed = await nango.getConnection('fake', 'sdk-force', true);
    const newToken = (refreshed.credentials as unknown as { access_token: string }).access_token;
    expect(newToken).to.not.equal(accessToken);
    expect(rig.provider.isAccessTokenValid(newToken)).to.equal(true);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    expect(await nango.getToken('fake', 'sdk-force')).to.equal(newToken);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
  });

  it('getToken returns the access token string of an OAUTH2 connection', async () => {
    const { accessToken } = await connect('sdk-token');
    const token = await nango.getToken('fake', 'sdk-token');
    expect(token).to.be.a('string').and.to.equal(accessToken);
  });

  it('getRawTokenResponse returns the provider token response, refresh token removed', async () => {
    const { raw, refreshToken } = await connect('sdk-raw');
    const response = await nango.getRawTokenResponse('fake', 'sdk-raw');
    const { refresh_token: _dropped, ...expected } = raw;
    expect(response).to.deep.equal(expected);
    expect(response).to.include({ token_type: 'bearer', expires_in: 3600 });
    expect(JSON.stringify(response)).to.not.include(refreshToken);
  });

  it('listConnections filters by integrationId, userId and tags and shows no credentials', async () => {
    const create = async (connectionId: string, endUserId: string, tags: Record<string, string>) => {
      const imported = await rig.importFromProvider(connectionId, { provider_config_key: 'sdk-list', end_user: { id: endUserId }, tags });
      expect(imported.status).to.equal(201);
    };
    await create('sdk-list-1', 'user-a', { team: 'core', env: 'prod' });
    await create('sdk-list-2', 'user-b', { team: 'core', env: 'dev' });
    await create('sdk-list-3', 'user-a', { team: 'edge' });
    const ids = (result: { connections: Array<{ connection_id: string }> }) => result.connections.map((c) => c.connection_id);

    const all = await nango.listConnections({ integrationId: 'sdk-list' });
    expect(ids(all)).to.deep.equal(['sdk-list-3', 'sdk-list-2', 'sdk-list-1']);
    const first = all.connections[2]!;
    expect(first).to.include({ connection_id: 'sdk-list-1', provider_config_key: 'sdk-list', provider: FAKE_PROVIDER });
    expect(first.end_user).to.deep.include({ id: 'user-a' });
    expect(first.tags).to.deep.equal({ team: 'core', env: 'prod' });
    expect(first.created).to.be.a('string');
    expect(first).to.not.have.property('credentials');

    expect(ids(await nango.listConnections({ integrationId: ['sdk-list', 'fake'], userId: 'user-a' }))).to.deep.equal(['sdk-list-3', 'sdk-list-1']);
    expect(ids(await nango.listConnections({ integrationId: 'sdk-list', tags: { Team: 'core' } }))).to.deep.equal(['sdk-list-2', 'sdk-list-1']);
    expect(ids(await nango.listConnections({ integrationId: 'sdk-list', userId: 'user-a', tags: { team: 'core', env: 'prod' } }))).to.deep.equal(['sdk-list-1']);
    expect(ids(await nango.listConnections({ connectionId: 'sdk-list-2' }))).to.deep.equal(['sdk-list-2']);
    expect(ids(await nango.listConnections(undefined, 'sdk-list-', { limit: 2 }))).to.deep.equal(['sdk-list-3', 'sdk-list-2']);
  });

  it('setMetadata replaces, updateMetadata merges, getMetadata reads', async () => {
    await connect('sdk-meta-1', { metadata: { old: true } });
    await connect('sdk-meta-2');
    const set = await nango.setMetadata('fake', 'sdk-meta-1', { plan: 'free', limits: { seats: 1 } });
    expect(set.status).to.equal(201);
    expect(set.data).to.deep.include({ connection_id: 'sdk-meta-1', provider_config_key: 'fake', metadata: { plan: 'free', limits: { seats: 1 } } });
    expect(await nango.getMetadata('fake', 'sdk-meta-1')).to.deep.equal({ plan: 'free', limits: { seats: 1 } });

    const updated = await nango.updateMetadata('fake', 'sdk-meta-1', { limits: { seats: 10 }, region: 'eu' });
    expect(updated.status).to.equal(200);
    expect(await nango.getMetadata('fake', 'sdk-meta-1')).to.deep.equal({ plan: 'free', limits: { seats: 10 }, region: 'eu' });

    await nango.setMetadata('fake', ['sdk-meta-1', 'sdk-meta-2'], { shared: 1 });
    await nango.updateMetadata('fake', ['sdk-meta-1', 'sdk-meta-2'], { more: 2 });
    expect(await nango.getMetadata('fake', 'sdk-meta-1')).to.deep.equal({ shared: 1, more: 2 });
    expect(await nango.getMetadata('fake', 'sdk-meta-2')).to.deep.equal({ shared: 1, more: 2 });
  });

  it('setMetadata with an unknown connection id rejects with 404 unknown_connection and writes nothing', async () => {
    await connect('sdk-meta-atomic', { metadata: { untouched: true } });
    const failure = await failureOf(nango.setMetadata('fake', ['sdk-meta-atomic', 'sdk-meta-missing'], { written: true }));
    expect(failure?.response?.status).to.equal(404);
    expect(await nango.getMetadata('fake', 'sdk-meta-atomic')).to.deep.equal({ untouched: true });
    // Product bug: ConnectionStore.writeMetadata swaps NotFoundError's (message, code) arguments.
    expect(failure?.response?.data.error.code, JSON.stringify(failure?.response?.data)).to.equal('unknown_connection');
  });

  it('patchConnection edits end_user, tags and webhook_url_override', async () => {
    await connect('sdk-patch', { end_user: { id: 'before' }, tags: { a: 'b' } });
    const result = await nango.patchConnection(
      { connectionId: 'sdk-patch', provider_config_key: 'fake' },
      { end_user: { id: 'after', email: 'after@example.com', display_name: 'After' }, tags: { Stage: 'two' }, webhook_url_override: 'http://127.0.0.1:9/hooks/sdk' }, // port 9: fetch refuses it, nothing is sent
    );
    expect(result).to.deep.equal({ success: true });
    const connection = await nango.getConnection('fake', 'sdk-patch');
    expect(connection.end_user).to.deep.equal({ id: 'after', email: 'after@example.com', display_name: 'After' });
    expect(connection.tags).to.deep.equal({ stage: 'two' });
    expect((connection as unknown as { webhook_url_override: string | null }).webhook_url_override).to.equal('http://127.0.0.1:9/hooks/sdk');
    await nango.patchConnection({ connectionId: 'sdk-patch', provider_config_key: 'fake' }, { webhook_url_override: '' });
    expect(((await nango.getConnection('fake', 'sdk-patch')) as unknown as { webhook_url_override: string | null }).webhook_url_override).to.equal(null);
  });

  it('deleteConnection answers 200 {success:true}; getConnection then rejects with 404 not_found', async () => {
    await connect('sdk-delete');
    const deleted = await nango.deleteConnection('fake', 'sdk-delete');
    expect(deleted.status).to.equal(200);
    expect(deleted.data).to.deep.equal({ success: true });
    const failure = await failureOf(nango.getConnection('fake', 'sdk-delete'));
    expect(failure?.response?.status).to.equal(404);
    expect(failure?.response?.data.error.code).to.equal('not_found');
    const again = await failureOf(nango.deleteConnection('fake', 'sdk-delete'));
    expect(again?.response?.status).to.equal(400);
    expect(again?.response?.data.error.code).to.equal('unknown_connection');
  });
});
