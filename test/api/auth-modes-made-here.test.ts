/**
 * The modes whose credential is made or signed by Custodian (JWT, SIGNATURE, BILL, TBA, AWS_SIGV4) and
 * INSTALL_PLUGIN, end to end through the API against the fake provider: connect through the session
 * routes Nango's frontend posts to, refusals that store nothing, imports through `POST /connections`,
 * fresh credentials through `GET /connections/:id` and `@nangohq/node`, and no secret in any history.
 */
import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { loadCatalog } from '../../providers/load-catalog';
import { ConnectionEntity, type EnvironmentEntity } from '../../src/db/entities';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { CookieJar } from '../support/cookie-jar';
import { mountFakeAws } from '../support/fake-modes/aws-sigv4';
import { mountFakeBill, type FakeBillAccount } from '../support/fake-modes/bill';
import { mountFakeWsse } from '../support/fake-modes/signature';
import { mountFakeJwt, type FakeJwtEndpoint } from '../support/fake-modes/jwt';
import { mountFakePlugin } from '../support/fake-modes/install-plugin';
import { mountFakeTba } from '../support/fake-modes/tba';
import type { FakeProvider } from '../support/fake-provider';
import { auditHistories } from '../support/history-audit';
import { http } from '../support/http';
import { registerSecrets } from '../support/secret-registry';
import { createDevServerEnv } from '../support/temporal-env';

const catalog = loadCatalog();
const ghostId = randomBytes(12).toString('hex');
const ghostSecret = randomBytes(32).toString('hex');
const wsseUser = 'acme001';
const wsseSecret = randomBytes(16).toString('hex');
const billAccount: FakeBillAccount = { username: 'ap@acme.example', password: `pw-${randomBytes(8).toString('hex')}`, organizationId: '00801ACME', devKey: `dk-${randomBytes(8).toString('hex')}`, userId: '00601ALICE' };
const consumer = { key: 'tba-consumer-key', secret: `cs-${randomBytes(8).toString('hex')}` };
const tbaToken = { id: 'tba-token-id', secret: `ts-${randomBytes(8).toString('hex')}` };
const stsApiKey = `sts-${randomBytes(8).toString('hex')}`;
const pluginKey = `plugin-${randomBytes(8).toString('hex')}`;
const ROLE = 'arn:aws:iam::123456789012:role/CustodianAccess';
const EXTERNAL_ID = '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
registerSecrets(() => [ghostSecret, wsseSecret, billAccount.password, billAccount.devKey, consumer.secret, tbaToken.secret, stsApiKey, pluginKey]);

/** Our catalog's entry for `name`, its URLs on the fake provider. */
function onFake(name: string, provider: FakeProvider, overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(catalog.get(name)), ...overrides };
}

describe('auth modes made here, end to end through the API (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let environment: EnvironmentEntity;
  let nango: Nango;
  let ghostChecks: FakeJwtEndpoint;
  /** The connection each mode's test made, by integration key (the proxy test uses them). */
  const connected: Record<string, string> = {};

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      extraProviders: (provider) => ({
        'fake-ghost': onFake('ghost-admin', provider, { proxy: { base_url: provider.url, headers: { authorization: 'Ghost ${accessToken}' }, verification: { method: 'GET', endpoints: ['/jwt/verify'] } } }),
        'fake-emarsys': onFake('emarsys', provider, { proxy: { base_url: provider.url, headers: { 'x-wsse': '${accessToken}' }, verification: { method: 'GET', endpoints: ['/wsse/verify'] } } }),
        'fake-bill': onFake('bill', provider, { token_url: `${provider.url}/bill/login`, proxy: { base_url: provider.url } }),
        'fake-netsuite': onFake('netsuite-tba', provider, { proxy: { base_url: provider.url, verification: { method: 'GET', endpoints: ['/tba/verify'] } } }),
        'fake-aws': onFake('aws-sigv4', provider, { proxy: { base_url: provider.url } }),
        'fake-crisp': onFake('crisp-plugin-install', provider, { proxy: { base_url: provider.url, headers: { 'x-crisp-tier': 'plugin' }, verification: { method: 'GET', endpoints: ['/plugin/verify'] } } }),
      }),
    });
    const { provider } = rig;
    ghostChecks = mountFakeJwt(provider, { scheme: 'Ghost', algorithm: 'HS256', key: Buffer.from(ghostSecret, 'hex'), kid: ghostId, claims: { aud: '/admin/' }, maxLifetimeSeconds: 300 });
    mountFakeWsse(provider, { users: { [wsseUser]: wsseSecret }, lifetimeMs: 300_000 });
    mountFakeBill(provider, [billAccount]);
    mountFakeTba(provider, { consumer, tokens: [tbaToken], realm: '1234567_SB1' });
    mountFakeAws(provider, { stsApiKey, roles: { [ROLE]: EXTERNAL_ID }, service: 'execute-api', lifetimeSeconds: 3600 });
    mountFakePlugin(provider, { identifier: 'plugin-id', key: pluginKey, redirect: `${rig.api.url}/oauth/callback`, websiteId: 'site-42' });

    environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    const create = (uniqueKey: string, provider: string, extra: Record<string, unknown> = {}) =>
      rig.api.deps.integrations.create(environment.id, { uniqueKey, provider, displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true, ...extra });
    await create('ghost', 'fake-ghost');
    await create('emarsys', 'fake-emarsys');
    await create('bill', 'fake-bill');
    // AWS SigV4 and plugin-install settings go through POST /integrations as the modes declare them.
    const aws = await http(rig.api.url, 'POST', '/integrations', {
      token: rig.api.secretKey,
      body: { provider: 'fake-aws', unique_key: 'aws', credentials: { type: 'AWS_SIGV4', service: 'execute-api', defaultRegion: 'eu-west-1', stsMode: 'custom', stsEndpointUrl: `${provider.url}/aws/sts`, stsAuthType: 'api_key', stsApiKey } },
    });
    expect(aws.status, JSON.stringify(aws.body)).to.equal(200);
    const crisp = await http(rig.api.url, 'POST', '/integrations', { token: rig.api.secretKey, body: { provider: 'fake-crisp', unique_key: 'crisp', credentials: { type: 'INSTALL_PLUGIN', app_link: `${provider.url}/plugin/install`, username: 'plugin-id', password: pluginKey } } });
    expect(crisp.status, JSON.stringify(crisp.body)).to.equal(200);
    // A TBA integration's client is the NetSuite integration record's consumer, set through the API as Nango takes it.
    const tba = await http(rig.api.url, 'POST', '/integrations', { token: rig.api.secretKey, body: { provider: 'fake-netsuite', unique_key: 'netsuite', credentials: { type: 'TBA', client_id: consumer.key, client_secret: consumer.secret } } });
    expect(tba.status).to.equal(200);
    nango = new Nango({ host: rig.api.url, secretKey: rig.api.secretKey });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-1' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  async function rowCount(): Promise<number> {
    return rig.api.deps.db.getRepository(ConnectionEntity).count({ where: { environmentId: environment.id } });
  }

  /** A refused form stores nothing and answers `connection_test_failed`; the accepted one answers the connection's ids. */
  async function connect(path: string, wrong: Record<string, unknown>, right: Record<string, unknown>): Promise<string> {
    const token = await session();
    const before = await rowCount();
    const separator = path.includes('?') ? '&' : '?';
    const refused = await http(rig.api.url, 'POST', `${path}${separator}connect_session_token=${token}`, { body: wrong });
    expect(refused.status, JSON.stringify(refused.body)).to.equal(400);
    expect(refused.body.error.code, JSON.stringify(refused.body)).to.equal('connection_test_failed');
    expect(await rowCount(), 'a refusal stores nothing').to.equal(before);
    const accepted = await http(rig.api.url, 'POST', `${path}${separator}connect_session_token=${token}`, { body: right });
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
    expect(await rowCount()).to.equal(before + 1);
    return accepted.body.connectionId as string;
  }

  async function credentialsOf(key: string, connectionId: string, query = ''): Promise<Record<string, unknown>> {
    const got = await http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=${key}${query}`, { token: rig.api.secretKey });
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    return got.body.credentials as Record<string, unknown>;
  }

  it('JWT (Ghost): POST /auth/jwt/:key signs a token the provider accepts; the connection holds Nango\'s JWT shape', async () => {
    const connectionId = await connect('/auth/jwt/ghost?params[adminDomain]=acme.ghost.io&params[version]=v5.0', { type: 'JWT', privateKey: `${ghostId}:${randomBytes(32).toString('hex')}` }, { type: 'JWT', privateKey: `${ghostId}:${ghostSecret}` });
    const credentials = await credentialsOf('ghost', connectionId);
    expect(Object.keys(credentials).sort()).to.deep.equal(['expires_at', 'privateKey', 'token', 'type']);
    expect(credentials).to.deep.include({ type: 'JWT', privateKey: { id: ghostId, secret: ghostSecret } });
    const check = await fetch(`${rig.provider.url}/jwt/verify`, { headers: { authorization: `Ghost ${String(credentials.token)}` } });
    expect(check.status).to.equal(200);

    connected['ghost'] = connectionId;
    const viaSdk = await nango.getConnection('ghost', connectionId);
    expect(viaSdk.credentials).to.deep.equal(credentials);
    expect(ghostChecks.checks.map((c) => c.verdict)).to.include.members(['bad_signature', 'valid']);
  });

  it('JWT import via POST /connections without a token: the first read signs one, with no provider call', async () => {
    const imported = await http(rig.api.url, 'POST', '/connections', { token: rig.api.secretKey, body: { provider_config_key: 'ghost', connection_id: 'ghost-imported', credentials: { type: 'JWT', privateKey: { id: ghostId, secret: ghostSecret } } } });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(201);
    const calls = rig.provider.calls.length;
    const credentials = await credentialsOf('ghost', 'ghost-imported');
    expect(rig.provider.calls.length, 'signed here').to.equal(calls);
    expect(credentials.token).to.be.a('string');
    expect(Date.parse(String(credentials.expires_at))).to.be.greaterThan(Date.now() + 4 * 60_000);
    expect((await fetch(`${rig.provider.url}/jwt/verify`, { headers: { authorization: `Ghost ${String(credentials.token)}` } })).status).to.equal(200);
  });

  it('SIGNATURE (Emarsys): POST /auth/signature/:key makes a WSSE token; Nango\'s shape comes back', async () => {
    const connectionId = await connect('/auth/signature/emarsys', { type: 'SIGNATURE', username: wsseUser, password: 'wrong-secret-000' }, { type: 'SIGNATURE', username: wsseUser, password: wsseSecret });
    const credentials = await credentialsOf('emarsys', connectionId);
    expect(Object.keys(credentials).sort()).to.deep.equal(['expires_at', 'password', 'token', 'type', 'username']);
    expect(credentials).to.include({ type: 'SIGNATURE', username: wsseUser, password: wsseSecret });
    expect(String(credentials.token)).to.match(/^UsernameToken Username="acme001", PasswordDigest="/);
    expect((await nango.getConnection('emarsys', connectionId)).credentials).to.deep.equal(credentials);
    connected['emarsys'] = connectionId;
  });

  it('BILL: POST /auth/bill/:key signs in and keeps the session; force_refresh signs in again', async () => {
    const typed = { username: billAccount.username, password: billAccount.password, organization_id: billAccount.organizationId, dev_key: billAccount.devKey };
    const connectionId = await connect('/auth/bill/bill', { ...typed, password: 'not-the-password' }, typed);
    const credentials = await credentialsOf('bill', connectionId);
    expect(credentials).to.deep.include({ type: 'BILL', ...typed, user_id: billAccount.userId });
    expect(credentials.session_id).to.match(/^fake-bill-session-/);
    const forced = await credentialsOf('bill', connectionId, '&force_refresh=true');
    expect(forced.session_id).to.match(/^fake-bill-session-/).and.not.equal(credentials.session_id);
    expect((await nango.getConnection('bill', connectionId)).credentials).to.deep.include({ type: 'BILL', session_id: forced.session_id });
    connected['bill'] = connectionId;
  });

  it('TBA (NetSuite): POST /auth/tba/:key checks a signed request with the integration\'s consumer; the consumer secret is not copied into the connection', async () => {
    const connectionId = await connect('/auth/tba/netsuite?params[accountId]=1234567-sb1', { token_id: tbaToken.id, token_secret: 'not-the-secret' }, { token_id: tbaToken.id, token_secret: tbaToken.secret });
    const got = await http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=netsuite`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.equal({ type: 'TBA', token_id: tbaToken.id, token_secret: tbaToken.secret });
    expect(got.body.connection_config).to.deep.equal({ accountId: '1234567-sb1' });
    expect(JSON.stringify(got.body)).to.not.include(consumer.secret);
    expect((await nango.getConnection('netsuite', connectionId)).credentials).to.deep.equal(got.body.credentials);
    connected['netsuite'] = connectionId;

    const imported = await http(rig.api.url, 'POST', '/connections', { token: rig.api.secretKey, body: { provider_config_key: 'netsuite', connection_id: 'tba-imported', connection_config: { accountId: '1234567-sb1' }, credentials: { type: 'TBA', token_id: tbaToken.id, token_secret: tbaToken.secret } } });
    expect(imported.status, JSON.stringify(imported.body)).to.equal(201);
    const refusedImport = await http(rig.api.url, 'POST', '/connections', { token: rig.api.secretKey, body: { provider_config_key: 'netsuite', connection_id: 'tba-wrong', connection_config: { accountId: '1234567-sb1' }, credentials: { type: 'TBA', token_id: tbaToken.id, token_secret: 'wrong' } } });
    expect(refusedImport.status).to.equal(400);
    expect(refusedImport.body.error.code).to.equal('connection_test_failed');
  });

  it('AWS_SIGV4: POST /auth/aws-sigv4/:key assumes the role; the connection keeps the temporary credentials and the proxy\'s region and service', async () => {
    const connectionId = await connect('/auth/aws-sigv4/aws?params[external_id]=' + EXTERNAL_ID, { type: 'AWS_SIGV4', role_arn: 'arn:aws:iam::123456789012:role/Other' }, { type: 'AWS_SIGV4', role_arn: ROLE });
    const got = await http(rig.api.url, 'GET', `/connections/${connectionId}?provider_config_key=aws`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.include({ type: 'AWS_SIGV4', role_arn: ROLE, region: 'eu-west-1', service: 'execute-api', external_id: EXTERNAL_ID });
    expect(got.body.credentials.session_token).to.be.a('string');
    expect(got.body.connection_config).to.deep.equal({ external_id: EXTERNAL_ID, region: 'eu-west-1', service: 'execute-api' });
    expect(JSON.stringify(got.body)).to.not.include(stsApiKey);
    expect((await nango.getConnection('aws', connectionId)).credentials).to.deep.equal(got.body.credentials);
    connected['aws'] = connectionId;
  });

  it('AWS_SIGV4 and INSTALL_PLUGIN integration settings are shown without their secrets; incomplete ones are refused', async () => {
    const aws = await http(rig.api.url, 'GET', '/integrations/aws?include=credentials', { token: rig.api.secretKey });
    expect(aws.body.data.credentials).to.deep.include({ type: 'AWS_SIGV4', service: 'execute-api', stsMode: 'custom', stsApiKey: null, awsSecretAccessKey: null });
    const crisp = await http(rig.api.url, 'GET', '/integrations/crisp?include=credentials', { token: rig.api.secretKey });
    expect(crisp.body.data.credentials).to.deep.equal({ type: 'INSTALL_PLUGIN', app_link: `${rig.provider.url}/plugin/install`, username: 'plugin-id', password: null });
    expect(JSON.stringify([aws.body, crisp.body])).to.not.include(stsApiKey).and.not.include(pluginKey);
    const incomplete = await http(rig.api.url, 'POST', '/integrations', { token: rig.api.secretKey, body: { provider: 'fake-aws', unique_key: 'aws-2', credentials: { type: 'AWS_SIGV4', service: 'execute-api' } } });
    expect(incomplete.status).to.equal(400);
    expect(incomplete.body.error.code).to.equal('invalid_body');
  });

  it('INSTALL_PLUGIN (Crisp): the install link returns with payload and website_id; the connection holds the plugin\'s BASIC credentials', async () => {
    const browser = new CookieJar();
    const token = await session();
    const start = await browser.fetch(`${rig.api.url}/oauth/connect/crisp?connect_session_token=${token}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const install = new URL(start.headers.get('location')!);
    expect(install.origin + install.pathname).to.equal(`${rig.provider.url}/plugin/install`);
    const callback = (await browser.fetch(install, { redirect: 'manual' })).headers.get('location')!;
    const page = await browser.fetch(callback);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');
    const row = await rig.api.deps.db.getRepository(ConnectionEntity).findOneOrFail({ where: { environmentId: environment.id, connectionId: (await listConnectionIds('crisp'))[0] } });
    const got = await http(rig.api.url, 'GET', `/connections/${row.connectionId}?provider_config_key=crisp`, { token: rig.api.secretKey });
    expect(got.body.credentials).to.deep.equal({ type: 'BASIC', username: 'plugin-id', password: pluginKey });
    expect(got.body.connection_config).to.deep.equal({ website_id: 'site-42' });
    expect((await nango.getConnection('crisp', row.connectionId)).credentials).to.deep.equal({ type: 'BASIC', username: 'plugin-id', password: pluginKey });
    connected['crisp'] = row.connectionId;
  });

  it("the proxy (@nangohq/node) puts each mode's credential on the request: a Ghost JWT, a WSSE token, Bill's session headers, a TBA signature, a SigV4 signature, the plugin's Basic auth", async () => {
    const statusOf = async (key: string, endpoint: string, data?: unknown) => {
      const call = { providerConfigKey: key, connectionId: connected[key]!, endpoint };
      const response = data === undefined ? await nango.get(call) : await nango.post({ ...call, data });
      return response.status;
    };
    expect({
      ghost: await statusOf('ghost', '/jwt/verify'),
      emarsys: await statusOf('emarsys', '/wsse/verify'),
      bill: await statusOf('bill', '/bill/verify'),
      netsuite: await statusOf('netsuite', '/tba/verify?limit=5&q=a%20b'),
      aws: await statusOf('aws', '/aws/api/echo?b=2&a=1', { hello: 'world' }),
      crisp: await statusOf('crisp', '/plugin/verify'),
    }).to.deep.equal({ ghost: 200, emarsys: 200, bill: 200, netsuite: 200, aws: 200, crisp: 200 });
    // A caller's header the signature must cover (DynamoDB's X-Amz-Target) is signed, not sent beside the signature.
    const dynamo = await nango.post({ providerConfigKey: 'aws', connectionId: connected['aws']!, endpoint: '/aws/api/echo', data: { TableName: 't' }, headers: { 'X-Amz-Target': 'DynamoDB_20120810.GetItem' } });
    expect(dynamo.status).to.equal(200);
  });

  it('no private key, secret, session or token of these modes is in any workflow history', async () => {
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });

  async function listConnectionIds(key: string): Promise<string[]> {
    const listed = await http(rig.api.url, 'GET', `/connections?integrationId=${key}`, { token: rig.api.secretKey });
    return (listed.body.connections as Array<{ connection_id: string }>).map((c) => c.connection_id);
  }
});

