import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { oauth1AuthorizationHeader } from '../../providers/auth-modes/oauth1-signing';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeOAuth1Entry } from '../support/fake-provider';
import { http } from '../support/http';
import { AuthAttemptEntity, ConnectionEntity, type EnvironmentEntity, type IntegrationEntity } from '../../src/db/entities';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;
import { ENCRYPTED } from '../../src/crypto/encrypted-columns';

describe('OAuth 1.0a authorization through a connect session (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let environment: EnvironmentEntity;
  let integration: IntegrationEntity;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { extraProviders: (provider) => ({ 'fake-oauth1': fakeOAuth1Entry(provider) }) });
    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    integration = await rig.api.deps.integrations.create(environment.id, {
      uniqueKey: 'oauth1',
      provider: 'fake-oauth1',
      displayName: null,
      clientId: rig.provider.knobs.clientId,
      clientSecret: rig.provider.knobs.clientSecret,
      scopes: [],
      forwardWebhooks: true,
    });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-1', email: 'u1@example.com' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  async function connections(): Promise<ConnectionEntity[]> {
    return rig.api.deps.db.getRepository(ConnectionEntity).find({ where: { integrationId: integration.id } });
  }

  /** /oauth/connect, then the provider's authorize page; returns the attempt id and the callback URL the provider sent the browser to. */
  async function connectAndAuthorize(key = 'oauth1'): Promise<{ state: string; callback: URL }> {
    const start = await fetch(`${rig.api.url}/oauth/connect/${key}?connect_session_token=${await session()}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).to.equal(`${rig.provider.url}/oauth1/authorize`);
    expect([...authorize.searchParams.keys()]).to.deep.equal(['oauth_token']);
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    expect(atProvider.status).to.equal(302);
    const callback = new URL(atProvider.headers.get('location')!);
    expect(callback.origin + callback.pathname).to.equal(`${rig.api.url}/oauth/callback`);
    return { state: callback.searchParams.get('state')!, callback };
  }

  it('connects: request token with the state in its callback, authorize redirect, callback, stored OAUTH1 credentials valid at the provider', async () => {
    const { state, callback } = await connectAndAuthorize();
    const requestCall = rig.provider.calls.find((c) => c.path === '/oauth1/request_token')!;
    expect(requestCall).to.include({ status: 200, oauth1: 'valid' });
    expect([...callback.searchParams.keys()]).to.deep.equal(['state', 'oauth_token', 'oauth_verifier']);
    const pending = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(pending).to.include({ authMode: 'OAUTH1', status: 'pending' });
    const [requestToken, requestTokenSecret] = rig.provider.issued.oauth1;
    expect(JSON.parse(rig.api.deps.cipher.decrypt(pending.secretsEncrypted!, ENCRYPTED.attemptSecrets, pending.id))).to.deep.equal({ requestTokenSecret });
    expect(callback.searchParams.get('oauth_token')).to.equal(requestToken);

    const page = await fetch(callback);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');

    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt).to.include({ status: 'succeeded', operation: 'creation', callbackParamsEncrypted: null, secretsEncrypted: null, credentialsEncrypted: null });
    const got = await http(rig.api.url, 'GET', `/connections/${attempt.connectionId}?provider_config_key=oauth1`, { token: rig.api.secretKey });
    expect(got.status).to.equal(200);
    const { oauth_token: token, oauth_token_secret: tokenSecret } = got.body.credentials as { oauth_token: string; oauth_token_secret: string };
    expect(got.body.credentials).to.deep.equal({ type: 'OAUTH1', oauth_token: token, oauth_token_secret: tokenSecret, raw: { oauth_token: token, oauth_token_secret: tokenSecret, user_id: 'fake-user-1' } });
    expect(rig.provider.knobs.oauth1Tokens).to.deep.include({ token, tokenSecret });
    const verifyUrl = `${rig.provider.url}/verify`;
    const authorization = oauth1AuthorizationHeader({ method: 'GET', url: verifyUrl, consumerKey: rig.provider.knobs.clientId, consumerSecret: rig.provider.knobs.clientSecret, token, tokenSecret });
    expect((await fetch(verifyUrl, { headers: { authorization } })).status).to.equal(200);

    const replay = await fetch(callback);
    expect(replay.status, 'a replayed callback changes nothing').to.equal(400);
    expect(await replay.text()).to.include('nango_oauth_callback_error');
    expect(rig.provider.calls.filter((c) => c.path === '/oauth1/access_token')).to.have.length(1);
    expect(await connections()).to.have.length(1);
  });

  it('security: a callback from another cookie jar is refused and stores nothing; the starting browser still connects', async () => {
    const before = (await connections()).length;
    const { state, callback } = await connectAndAuthorize();
    const exchanges = rig.provider.calls.filter((c) => c.path === '/oauth1/access_token').length;
    const refused = await new CookieJar().fetch(callback);
    expect(refused.status).to.equal(400);
    expect(await refused.text()).to.include('nango_oauth_callback_error').and.include('callback_not_bound');
    const pending = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(pending.status).to.equal('pending');
    expect(pending.callbackParamsEncrypted).to.equal(null);
    expect(pending.secretsEncrypted, 'the request token secret waits for the right browser').to.not.equal(null);
    expect(rig.provider.calls.filter((c) => c.path === '/oauth1/access_token'), 'no token exchange').to.have.length(exchanges);
    expect((await connections()).length).to.equal(before);

    const page = await fetch(callback);
    expect(page.status).to.equal(200);
    expect((await connections()).length).to.equal(before + 1);
  });

  it('a tampered verifier gets the error page, the provider refuses it, and no connection is stored', async () => {
    const before = (await connections()).length;
    const { state, callback } = await connectAndAuthorize();
    callback.searchParams.set('oauth_verifier', `${callback.searchParams.get('oauth_verifier')}x`);
    const page = await fetch(callback);
    expect(page.status).to.equal(400);
    const html = await page.text();
    expect(html).to.include('nango_oauth_callback_error');
    expect(html).to.include('invalid_grant');
    expect(rig.provider.calls.at(-1)).to.include({ path: '/oauth1/access_token', status: 401 });
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt).to.include({ status: 'failed', errorCode: 'invalid_grant', connectionRowId: null, callbackParamsEncrypted: null, secretsEncrypted: null });
    expect((await connections()).length).to.equal(before);
  });

  it('a request token the provider refuses answers 400 with its reason, closes the attempt and redirects nowhere', async () => {
    const wrong = await rig.api.deps.integrations.create(environment.id, {
      uniqueKey: 'oauth1-wrong-secret',
      provider: 'fake-oauth1',
      displayName: null,
      clientId: rig.provider.knobs.clientId,
      clientSecret: 'not-the-consumer-secret',
      scopes: [],
      forwardWebhooks: true,
    });
    const start = await http(rig.api.url, 'GET', `/oauth/connect/oauth1-wrong-secret?connect_session_token=${await session()}`);
    expect(start.status).to.equal(400);
    expect(start.body).to.deep.equal({ error: { code: 'invalid_client', message: `The request token endpoint of Fake OAuth 1.0a (${rig.provider.url}/oauth1/request_token) answered 401 (signature_invalid)` } });
    const attempts = await rig.api.deps.db.getRepository(AuthAttemptEntity).findBy({ integrationId: wrong.id });
    expect(attempts.map((a) => [a.status, a.errorCode, a.secretsEncrypted])).to.deep.equal([['failed', 'invalid_client', null]]);
  });
  it('security: pinned authorization_params survive a browser override (OAuth 1.0a)', async () => {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', {
      token: rig.api.secretKey,
      body: { end_user: { id: 'u-1' }, integrations_config_defaults: { oauth1: { authorization_params: { perms: 'read' } } } },
    });
    const token = created.body.data.token as string;
    const attemptsBefore = await rig.api.deps.db.getRepository(AuthAttemptEntity).count();
    const refused = await fetch(`${rig.api.url}/oauth/connect/oauth1?connect_session_token=${token}&authorization_params[perms]=delete`, { redirect: 'manual' });
    expect(refused.status).to.equal(400);
    expect(refused.headers.get('location')).to.equal(null);
    const body = (await refused.json()) as { error: { code: string; errors: Array<{ path: string[] }> } };
    expect(body.error.code).to.equal('pinned_by_session');
    expect(body.error.errors[0]!.path).to.deep.equal(['authorization_params', 'perms']);
    expect(await rig.api.deps.db.getRepository(AuthAttemptEntity).count(), 'no attempt, no request token').to.equal(attemptsBefore);
    const fine = await fetch(`${rig.api.url}/oauth/connect/oauth1?connect_session_token=${token}&authorization_params[perms]=read`, { redirect: 'manual' });
    expect(fine.status).to.equal(302);
    expect(new URL(fine.headers.get('location')!).searchParams.get('perms')).to.equal('read');
  });
});
