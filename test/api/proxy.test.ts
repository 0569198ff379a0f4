import { Nango } from '@nangohq/node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { mountProviderApi, type Echo, type ProviderApi } from '../support/fake-modes/provider-api';
import { http } from '../support/http';
import { fakeApiKeyEntry, fakeBasicEntry, fakeOAuth1Entry, fakeProviderEntry } from '../support/fake-provider';
import { auditHistories } from '../support/history-audit';
import { fakeIntegration, obtainTokens } from '../support/lifecycle';
import { startTestApi } from '../support/api-server';
import { createDevServerEnv } from '../support/temporal-env';

interface HttpFailure {
  response?: { status: number; data: unknown; headers: Record<string, string> };
}

function failureOf(promise: Promise<unknown>): Promise<HttpFailure | undefined> {
  return promise.then(
    () => undefined,
    (error: HttpFailure) => error,
  );
}

/** A second server, on another origin than the provider: streams, raw bytes, compression, and what a redirect brings along. */
interface OtherHost {
  url: string;
  seen: Array<{ path: string; headers: IncomingMessage['headers'] }>;
  /** Resolves the pending `/slow-download`'s second part. */
  release(): void;
  close(): Promise<void>;
}

const MB = 1024 * 1024;
const PROXY_API_KEY = 'proxy-api-key-7c1e9b';
const PROXY_BASIC = { username: 'proxy-user', password: 'proxy-pass-4d2a' };
const PROXY_OAUTH1 = { token: 'proxy-oauth1-token-91', tokenSecret: 'proxy-oauth1-secret-37' };

async function startOtherHost(): Promise<OtherHost> {
  const seen: OtherHost['seen'] = [];
  let release: () => void = () => undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: req.headers });
    if (url.pathname === '/slow-download') {
      // 1 MB at once; the other 49 MB only after the test has received the first: a proxy that buffered
      // the whole answer would never deliver the first megabyte.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(MB, 7));
      release = () => {
        for (let i = 0; i < 49; i++) res.write(Buffer.alloc(MB, i));
        res.end();
      };
      return;
    }
    if (url.pathname === '/upload') {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ length, sha256: hash.digest('hex'), contentType: req.headers['content-type'] ?? null }));
      });
      return;
    }
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync(Buffer.from('hello, decompressed world')));
      return;
    }
    if (url.pathname === '/echo-token') {
      // A provider that echoes the credentials back in a header.
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen-authorization': String(req.headers.authorization ?? ''), 'x-fine': 'yes' });
      res.end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: url.pathname, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    release: () => release(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The proxy (API.md §8) through the real @nangohq/node, to a fake provider on loopback. */
describe('proxy: /proxy/* through @nangohq/node (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let nango: Nango;
  let api: ProviderApi;
  let other: OtherHost;
  let accessToken: string;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, {
      configEnv: { ALLOW_PRIVATE_NETWORK_TARGETS: 'true' },
      knobs: { apiKeys: [PROXY_API_KEY], basicUsers: [PROXY_BASIC], oauth1Tokens: [PROXY_OAUTH1] },
      extraProviders: (provider) => ({
        'no-base-url': { display_name: 'No base URL', auth_mode: 'API_KEY' },
        'fake-key': fakeApiKeyEntry(provider),
        'fake-basic': fakeBasicEntry(provider),
        'fake-oauth1': fakeOAuth1Entry(provider),
        // A provider that says how long to wait in a header of its own (Nango's `proxy.retry.after`).
        'fake-retry-after': fakeProviderEntry(provider, { proxy: { base_url: provider.url, retry: { after: ['x-wait-seconds'] } } }),
      }),
    });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    for (const provider of ['fake-key', 'fake-basic', 'fake-oauth1', 'fake-retry-after']) {
      await rig.api.deps.integrations.create(environment.id, { ...fakeIntegration(rig.provider), uniqueKey: provider, provider });
    }
    const credentials = {
      'fake-key': { type: 'API_KEY', apiKey: PROXY_API_KEY },
      'fake-basic': { type: 'BASIC', ...PROXY_BASIC },
      'fake-oauth1': { type: 'OAUTH1', oauth_token: PROXY_OAUTH1.token, oauth_token_secret: PROXY_OAUTH1.tokenSecret },
    };
    const retryTokens = await obtainTokens(rig.provider);
    Object.assign(credentials, { 'fake-retry-after': { type: 'OAUTH2', access_token: retryTokens.access_token, refresh_token: retryTokens.refresh_token } });
    for (const [key, value] of Object.entries(credentials)) {
      const imported = await http(rig.api.url, 'POST', '/connections', { token: rig.api.secretKey, body: { provider_config_key: key, connection_id: `${key}-1`, credentials: value } });
      expect(imported.status, key).to.equal(201);
    }
    api = mountProviderApi(rig.provider);
    other = await startOtherHost();
    nango = new Nango({ secretKey: rig.api.secretKey, host: rig.api.url });
    const imported = await rig.importFromProvider('proxy-1');
    expect(imported.status).to.equal(201);
    accessToken = (imported.body.credentials as { access_token: string }).access_token;
  });
  after(async () => {
    await other?.close();
    await rig?.close();
    await env?.teardown();
  });

  const base = { providerConfigKey: 'fake', connectionId: 'proxy-1' };

  it('GET: the connection token is injected, only Nango-Proxy-* headers are forwarded (prefix removed), the query is kept', async () => {
    const response = await nango.get<Echo>({ ...base, endpoint: '/api/echo?page=2&q=a%20b', headers: { 'X-Trace': 't-1' } });
    expect(response.status).to.equal(200);
    const echo = response.data;
    expect(echo.method).to.equal('GET');
    expect(echo.query).to.deep.equal({ page: '2', q: 'a b' });
    expect(echo.headers.authorization).to.equal(`Bearer ${accessToken}`);
    expect(echo.headers['x-trace']).to.equal('t-1');
    const names = Object.keys(echo.headers);
    for (const name of ['connection-id', 'provider-config-key', 'base-url-override', 'nango-activity-log-id', 'nango-proxy-x-trace']) expect(names, name).to.not.include(name);
    expect(JSON.stringify(echo.headers)).to.not.include(rig.api.secretKey);
  });

  it("returns the provider's status and headers unchanged except hop-by-hop, access-control-* and set-cookie", async () => {
    const response = await fetch(`${rig.api.url}/proxy/api/echo`, { headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake' } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('x-request-id')).to.equal('req-123');
    expect(response.headers.get('x-provider-note')).to.equal('kept');
    expect(response.headers.get('cache-control')).to.equal('private, max-age=60');
    expect(response.headers.get('content-type')).to.match(/^application\/json/);
    expect(response.headers.get('set-cookie')).to.equal(null);
    expect(response.headers.get('access-control-allow-origin')).to.equal(null);
    await response.text();
  });

  it('POST, PUT, PATCH and DELETE pass their JSON bodies byte for byte, with their content type', async () => {
    const data = { name: 'Ada', list: [1, 2, 3], nested: { ok: true } };
    const expected = createHash('sha256').update(JSON.stringify(data)).digest('hex');
    for (const call of [nango.post.bind(nango), nango.put.bind(nango), nango.patch.bind(nango), nango.delete.bind(nango)]) {
      const response = await call<Echo>({ ...base, endpoint: '/api/echo', data });
      expect(response.data.bodySha256).to.equal(expected);
      expect(response.data.headers['content-type']).to.match(/^application\/json/);
    }
  });

  it('answers Nango\'s errors: missing headers, unknown integration, unknown connection, a provider without base URL, a session token', async () => {
    const key = rig.api.secretKey;
    const missing = await http(rig.api.url, 'GET', '/proxy/api/echo', { token: key, headers: { 'connection-id': 'proxy-1' } });
    expect([missing.status, missing.body.error.code]).to.deep.equal([400, 'invalid_headers']);
    const unknownIntegration = await failureOf(nango.get({ providerConfigKey: 'nope', connectionId: 'proxy-1', endpoint: '/api/echo' }));
    expect(unknownIntegration?.response?.status).to.equal(404);
    expect(unknownIntegration?.response?.data).to.have.nested.property('error.code', 'unknown_provider_config');
    const unknownConnection = await failureOf(nango.get({ providerConfigKey: 'fake', connectionId: 'nobody', endpoint: '/api/echo' }));
    expect(unknownConnection?.response?.status).to.equal(400);
    expect(unknownConnection?.response?.data).to.have.nested.property('error.code', 'unknown_connection');

    const environment = (await rig.api.deps.environments.findBySecretKey(key))!;
    await rig.api.deps.integrations.create(environment.id, { uniqueKey: 'bare', provider: 'no-base-url', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: false });
    const created = await http(rig.api.url, 'POST', '/connections', { token: key, body: { provider_config_key: 'bare', connection_id: 'bare-1', credentials: { type: 'API_KEY', apiKey: 'k-123456789' } } });
    expect(created.status).to.equal(201);
    const unsupported = await failureOf(nango.get({ providerConfigKey: 'bare', connectionId: 'bare-1', endpoint: '/x' }));
    expect(unsupported?.response?.status).to.equal(400);
    expect(unsupported?.response?.data).to.have.nested.property('error.code', 'unsupported_provider');

    const session = await http(rig.api.url, 'POST', '/connect/sessions', { token: key, body: { end_user: { id: 'u-proxy' } } });
    const withSession = await http(rig.api.url, 'GET', '/proxy/api/echo', { token: session.body.data.token, headers: { 'connection-id': 'proxy-1', 'provider-config-key': 'fake' } });
    expect(withSession.status).to.equal(401);
    expect(api.statusCalls).to.equal(0);
  });

  it('a provider 401 on an OAuth connection forces one refresh through the workflow and one retry', async () => {
    const tokens = await obtainTokens(rig.provider);
    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: {
        provider_config_key: 'fake',
        connection_id: 'proxy-stale',
        // An access token the provider no longer accepts, though it has not expired by its date.
        credentials: { type: 'OAUTH2', access_token: 'stale-token-0000', refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3600_000).toISOString() },
      },
    });
    expect(imported.status).to.equal(201);
    const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
    const response = await nango.get<Echo>({ providerConfigKey: 'fake', connectionId: 'proxy-stale', endpoint: '/api/echo' });
    expect(response.status).to.equal(200);
    expect(rig.provider.tokenCalls('refresh_token').length - refreshesBefore).to.equal(1);
    const connection = await nango.getConnection('fake', 'proxy-stale');
    expect(response.data.headers.authorization).to.equal(`Bearer ${(connection.credentials as { access_token: string }).access_token}`);
  });

  it('Retries: 5xx and 429 (honouring Retry-After) are retried with back-off for idempotent requests; otherwise the answer is returned as it came', async () => {
    api.statuses.push({ status: 503 }, { status: 429, headers: { 'retry-after': '1' } });
    api.statusCalls = 0;
    const retried = await nango.get<{ ok: boolean; calls: number }>({ ...base, endpoint: '/api/status', retries: 2 });
    expect(retried.status).to.equal(200);
    expect(api.statusCalls).to.equal(3);

    api.statuses.push({ status: 503 });
    api.statusCalls = 0;
    const returned = await failureOf(nango.get({ ...base, endpoint: '/api/status' }));
    expect(returned?.response?.status).to.equal(503);
    expect(returned?.response?.data).to.deep.equal({ status: 503 });
    expect(api.statusCalls).to.equal(1);

    // A POST is sent once, unless the caller makes it safe to repeat with an Idempotency-Key.
    api.statuses.push({ status: 502 }, { status: 502 });
    api.statusCalls = 0;
    expect((await failureOf(nango.post({ ...base, endpoint: '/api/status', data: {}, retries: 3 })))?.response?.status).to.equal(502);
    expect(api.statusCalls).to.equal(1);
    const idempotent = await nango.post({ ...base, endpoint: '/api/status', data: {}, retries: 3, headers: { 'Idempotency-Key': 'op-1' } });
    expect(idempotent.status).to.equal(200);
    expect(api.statusCalls).to.equal(3);

    api.statuses.push({ status: 418 });
    api.statusCalls = 0;
    expect((await nango.get({ ...base, endpoint: '/api/status', retries: 1, retryOn: [418] })).status).to.equal(200);
    expect(api.statusCalls).to.equal(2);
  });

  it('redirects: followed with the credentials on the same host; another host gets them only with Forward-Headers-On-Redirect', async () => {
    const same = await nango.get<Echo>({ ...base, endpoint: '/api/redirect?to=/api/echo' });
    expect(same.data.headers.authorization).to.equal(`Bearer ${accessToken}`);

    const elsewhere = `${other.url}/landing`;
    const away = await nango.get<{ authorization: string | null }>({ ...base, endpoint: `/api/redirect?to=${encodeURIComponent(elsewhere)}` });
    expect(away.data).to.deep.equal({ path: '/landing', authorization: null });
    const forwarded = await nango.get<{ authorization: string | null }>({ ...base, endpoint: `/api/redirect?to=${encodeURIComponent(elsewhere)}`, forwardHeadersOnRedirect: true });
    expect(forwarded.data.authorization).to.equal(`Bearer ${accessToken}`);
  });

  it('streams a 50 MB download: the first megabyte arrives before the provider has sent the rest', async () => {
    const response = await fetch(`${rig.api.url}/proxy/slow-download`, {
      headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake', 'base-url-override': other.url },
    });
    expect(response.status).to.equal(200);
    const reader = response.body!.getReader();
    let received = 0;
    const hash = createHash('sha256');
    const expected = createHash('sha256').update(Buffer.alloc(MB, 7));
    for (let i = 0; i < 49; i++) expected.update(Buffer.alloc(MB, i));
    let released = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      hash.update(value);
      if (!released && received >= MB) {
        released = true;
        other.release();
      }
    }
    expect(released, 'the first megabyte came through on its own').to.equal(true);
    expect(received).to.equal(50 * MB);
    expect(hash.digest('hex')).to.equal(expected.digest('hex'));
  });

  it('a caller that goes away in the middle of a streamed answer leaves the API serving (the provider stream is closed)', async () => {
    const aborted = new AbortController();
    const response = await fetch(`${rig.api.url}/proxy/slow-download`, {
      headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake', 'base-url-override': other.url },
      signal: aborted.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    aborted.abort();
    await reader.read().catch(() => undefined);
    // The provider side is released too.
    other.release();
    // Many callers that give up at every moment of their call (as a load tool ending its run does).
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${rig.api.url}/proxy/api/echo`, { headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake' }, signal: AbortSignal.timeout(1 + (i % 40)) })
          .then((r) => r.arrayBuffer())
          .catch(() => undefined),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await nango.get<Echo>({ ...base, endpoint: '/api/echo' });
    expect(next.status).to.equal(200);
    expect((await http(rig.api.url, 'GET', '/health')).status).to.equal(200);
  });

  it('passes a binary upload (8 MB, past the replay buffer) byte for byte with its content type', async () => {
    const bytes = randomBytes(8 * MB);
    const response = await fetch(`${rig.api.url}/proxy/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake', 'base-url-override': other.url, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(await response.json()).to.deep.equal({ length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), contentType: 'application/octet-stream' });
  });

  it('Decompress: gzip answers are passed encoded by default, decompressed on request', async () => {
    const headers = { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake', 'base-url-override': other.url, 'accept-encoding': 'identity' };
    const raw = await fetch(`${rig.api.url}/proxy/gzip`, { headers });
    // fetch itself decodes gzip; the header says what came over the wire.
    expect(raw.headers.get('content-encoding')).to.equal('gzip');
    expect(await raw.text()).to.equal('hello, decompressed world');
    const plain = await fetch(`${rig.api.url}/proxy/gzip`, { headers: { ...headers, decompress: 'true' } });
    expect(plain.headers.get('content-encoding')).to.equal(null);
    expect(await plain.text()).to.equal('hello, decompressed world');
  });

  it('never returns the credentials in a response header, even when the provider echoes them', async () => {
    const response = await fetch(`${rig.api.url}/proxy/echo-token`, {
      headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'proxy-1', 'provider-config-key': 'fake', 'base-url-override': other.url },
    });
    expect(response.status).to.equal(200);
    expect(response.headers.get('x-fine')).to.equal('yes');
    expect(response.headers.get('x-seen-authorization')).to.equal(null);
    expect([...response.headers.values()].join('\n')).to.not.include(accessToken);
    await response.text();
  });

  it('an API key and a basic integration get their credentials from the catalog (proxy.headers, else Basic auth); OAuth 1.0a requests are signed, and the fake checks the signature', async () => {
    const verifyCallsBefore = rig.provider.calls.filter((c) => c.path === '/verify').length;
    for (const key of ['fake-key', 'fake-basic', 'fake-oauth1']) {
      const response = await nango.get({ providerConfigKey: key, connectionId: `${key}-1`, endpoint: '/verify', params: { page: '2' } });
      expect(response.status, key).to.equal(200);
    }
    const calls = rig.provider.calls.filter((c) => c.path === '/verify').slice(verifyCallsBefore);
    expect(calls).to.have.length(3);
    expect(calls[2]!.oauth1, 'the signature covers the method, URL and query').to.equal('valid');
    expect(calls[2]!.query).to.deep.equal({ page: '2' });
  });

  it('returns a 201 and its custom header as the provider sent them', async () => {
    api.statuses.push({ status: 201, headers: { 'x-created-id': 'obj-42', location: '/api/objects/42' } });
    const response = await nango.post({ ...base, endpoint: '/api/status', data: { name: 'x' } });
    expect(response.status).to.equal(201);
    expect(response.headers['x-created-id']).to.equal('obj-42');
    expect(response.headers.location).to.equal('/api/objects/42');
  });

  it('503 twice then 200 with Retries: 3 (raw HTTP)', async () => {
    api.statuses.push({ status: 503 }, { status: 503 });
    api.statusCalls = 0;
    const response = await http(rig.api.url, 'GET', '/proxy/api/status', { token: rig.api.secretKey, headers: { 'connection-id': 'proxy-1', 'provider-config-key': 'fake', retries: '3' } });
    expect(response.status).to.equal(200);
    expect(api.statusCalls).to.equal(3);
  });

  it('a token past its expiry is refreshed once before the call, which then succeeds', async () => {
    const tokens = await obtainTokens(rig.provider);
    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'fake', connection_id: 'proxy-expired', credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() - 60_000).toISOString() } },
    });
    expect(imported.status).to.equal(201);
    const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
    const response = await nango.get<Echo>({ providerConfigKey: 'fake', connectionId: 'proxy-expired', endpoint: '/api/echo' });
    expect(response.status).to.equal(200);
    expect(rig.provider.tokenCalls('refresh_token').length - refreshesBefore).to.equal(1);
    expect(response.data.headers.authorization).to.not.equal(`Bearer ${String(tokens.access_token)}`);
  });

  it('with ALLOW_PRIVATE_NETWORK_TARGETS off, a private Base-Url-Override or a catalog base URL on loopback is refused (400 private_network_target) and nothing is sent', async () => {
    const guarded = await startTestApi({ databaseUrl: rig.api.databaseUrl, encryptionKey: rig.api.encryptionKey, temporal: env.client, catalog: rig.api.deps.catalog, env: { TEMPORAL_TASK_QUEUE: rig.api.deps.config.temporal.taskQueue, ALLOW_PRIVATE_NETWORK_TARGETS: 'false' } });
    try {
      const headers = { 'connection-id': 'proxy-1', 'provider-config-key': 'fake' };
      const echoCalls = rig.provider.calls.filter((c) => c.path === '/api/echo').length;
      for (const override of ['https://127.0.0.1:8443', 'https://169.254.169.254', 'https://[::1]']) {
        const refused = await http(guarded.url, 'GET', '/proxy/api/echo', { token: rig.api.secretKey, headers: { ...headers, 'base-url-override': override } });
        expect([refused.status, refused.body.error.code], override).to.deep.equal([400, 'private_network_target']);
      }
      const plainHttp = await http(guarded.url, 'GET', '/proxy/api/echo', { token: rig.api.secretKey, headers: { ...headers, 'base-url-override': 'http://api.example.com' } });
      expect([plainHttp.status, plainHttp.body.error.code]).to.deep.equal([400, 'invalid_headers']);
      // The fake provider's catalog base URL is 127.0.0.1 itself: the guarded agent refuses to connect there.
      const loopback = await http(guarded.url, 'GET', '/proxy/api/echo', { token: rig.api.secretKey, headers });
      expect([loopback.status, loopback.body.error.code]).to.deep.equal([400, 'private_network_target']);
      expect(rig.provider.calls.filter((c) => c.path === '/api/echo').length).to.equal(echoCalls);
    } finally {
      await guarded.close();
    }
  });

  it("honours the catalog's own rate-limit header (proxy.retry.after): a wait over 60 s is answered at once, a short one waited out", async () => {
    const call = { providerConfigKey: 'fake-retry-after', connectionId: 'fake-retry-after-1', endpoint: '/api/status', retries: 2 };
    api.statuses.push({ status: 429, headers: { 'x-wait-seconds': '120' } });
    api.statusCalls = 0;
    const long = await failureOf(nango.get(call));
    expect(long?.response?.status).to.equal(429);
    expect(api.statusCalls, 'not retried: the provider asked for two minutes').to.equal(1);
    api.statuses.push({ status: 429, headers: { 'x-wait-seconds': '1' } });
    api.statusCalls = 0;
    expect((await nango.get(call)).status).to.equal(200);
    expect(api.statusCalls).to.equal(2);
  });

  it('leaves no token, key, password or OAuth 1.0a secret in any workflow history', async () => {
    const audit = await auditHistories(env.client);
    expect(audit.histories).to.be.greaterThan(0);
    expect(audit.hits).to.deep.equal([]);
  });
});
