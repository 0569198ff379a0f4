import { expect } from 'chai';
import { WebSocket } from 'ws';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';
import { rawRequest, type RawResponse } from '../support/raw-http';

const TIMEOUT_MS = 10_000;
/** Production mode (DATABASE_URL and TEMPORAL_ADDRESS set); the API talks to neither through them. */
const PRODUCTION = { DATABASE_URL: 'postgres://custodian@127.0.0.1:1/unused', TEMPORAL_ADDRESS: '127.0.0.1:1', ENCRYPTION_KEYS: `test=${Buffer.alloc(32, 7).toString('base64')}` };

function portOf(api: TestApi): number {
  return Number(new URL(api.url).port);
}

/** A WebSocket upgrade written by hand, for refusals (a 101 would keep the socket open). */
function upgrade(api: TestApi, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(
    portOf(api),
    { method: 'GET', target: '/', headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } },
    TIMEOUT_MS,
  );
}

/** Opens a WebSocket; resolves with it once open, or with the status of the refused upgrade. */
function openSocket(api: TestApi, origin?: string): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${api.url.replace(/^http/, 'ws')}/`, origin ? { origin } : {});
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode });
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function expectRateLimited(response: { status: number; headers: Record<string, string> | Headers; json?: unknown; body?: unknown }): void {
  expect(response.status).to.equal(429);
  const retryAfter = response.headers instanceof Headers ? response.headers.get('retry-after') : response.headers['retry-after'];
  expect(Number(retryAfter)).to.be.greaterThan(0);
  expect(((response.json ?? response.body) as { error: { code: string } }).error.code).to.equal('rate_limited');
}

describe('limits on what anonymous and session-holding clients can make us do (production mode)', function () {
  this.timeout(60_000);
  let api: TestApi;
  const opened: WebSocket[] = [];

  before(async () => {
    api = await startTestApi({
      env: {
        ...PRODUCTION,
        RATE_LIMIT_TELEMETRY: '5/1m',
        RATE_LIMIT_OAUTH_CALLBACK: '4/1m',
        RATE_LIMIT_WEBSOCKET: '3/1m',
        CONNECT_SESSION_MAX_ATTEMPTS: '3',
      },
    });
  });

  after(async () => {
    for (const ws of opened) ws.terminate();
    await api.close();
  });

  it('a flood of /connect/telemetry from one IP gets 429 with Retry-After', async () => {
    const send = () => rawRequest(portOf(api), { method: 'POST', target: '/connect/telemetry', headers: { 'Content-Type': 'application/json' }, body: '{"event":"open"}' }, TIMEOUT_MS);
    for (let i = 0; i < 5; i++) expect((await send()).status).to.equal(204);
    expectRateLimited(await send());
  });

  it('a flood of /oauth/callback from one IP gets 429 with Retry-After, and a forged X-Forwarded-For does not reset it', async () => {
    const send = (headers: Record<string, string> = {}) => rawRequest(portOf(api), { method: 'GET', target: '/oauth/callback?state=nope&code=x', headers }, TIMEOUT_MS);
    for (let i = 0; i < 4; i++) expect((await send()).status).to.not.equal(429);
    expectRateLimited(await send());
    expectRateLimited(await send({ 'X-Forwarded-For': '203.0.113.9' }));
  });

  it('a connect session cannot open more than N authorization attempts', async () => {
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    await api.deps.integrations.create(environment.id, { uniqueKey: 'resend', provider: 'resend', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
    const created = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-flood' } } });
    expect(created.status).to.equal(201);
    const token = created.body.data.token as string;
    const attempt = () => http(api.url, 'POST', `/api-auth/api-key/resend?connect_session_token=${token}`, { body: { apiKey: 're_flood_1' } });
    // No Temporal here: each attempt is recorded, then its workflow cannot start (503).
    for (let i = 0; i < 3; i++) expect((await attempt()).status).to.equal(503);
    expectRateLimited(await attempt());
    const rows = (await api.deps.db.query('SELECT count(*)::int AS n FROM auth_attempt WHERE session_id IS NOT NULL')) as { n: number }[];
    expect(rows[0]!.n).to.equal(3);
  });

  it('a connect session cannot pass the attempt cap by sending its attempts all at once', async () => {
    const created = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-burst' } } });
    const token = created.body.data.token as string;
    const session = (await api.deps.db.query('SELECT id FROM connect_session ORDER BY created_at DESC LIMIT 1')) as { id: string }[];
    const answers = await Promise.all(Array.from({ length: 8 }, () => http(api.url, 'POST', `/api-auth/api-key/resend?connect_session_token=${token}`, { body: { apiKey: 're_burst_1' } })));
    expect(answers.filter((a) => a.status === 429)).to.have.length(5);
    const rows = (await api.deps.db.query('SELECT count(*)::int AS n FROM auth_attempt WHERE session_id = $1', [session[0]!.id])) as { n: number }[];
    expect(rows[0]!.n).to.equal(3);
  });

  it('an unauthenticated request\'s JSON body is not parsed: malformed JSON without credentials is 401, not 400 invalid_json', async () => {
    for (const target of ['/integrations', '/connect/sessions', '/connection/metadata']) {
      const response = await rawRequest(portOf(api), { method: 'POST', target, headers: { 'Content-Type': 'application/json' }, body: '{"not json' }, TIMEOUT_MS);
      expect(response.status, target).to.equal(401);
    }
    // 1 MB and more of anything: refused as anonymous, never read up to the 413 cap.
    const big = await rawRequest(portOf(api), { method: 'POST', target: '/integrations', headers: { 'Content-Type': 'application/json' }, body: `{"a":"${'x'.repeat(1024 * 1024 + 10)}"}` }, TIMEOUT_MS);
    expect(big.status).to.equal(401);
    // With credentials the same body is still checked.
    const authed = await rawRequest(portOf(api), { method: 'POST', target: '/integrations', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${api.secretKey}` }, body: '{"not json' }, TIMEOUT_MS);
    expect(authed.status).to.equal(400);
    expect((authed.json as { error: { code: string } }).error.code).to.equal('invalid_json');
  });

  it('a flood of WebSocket upgrades from one IP gets 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const { ws, status } = await openSocket(api);
      expect(status, `upgrade ${i}`).to.equal(undefined);
      opened.push(ws!);
    }
    expectRateLimited(await upgrade(api));
  });
});

describe('WebSocket caps and Origin check (production mode)', function () {
  this.timeout(60_000);
  let api: TestApi;
  const opened: WebSocket[] = [];

  before(async () => {
    api = await startTestApi({ env: { ...PRODUCTION, WEBSOCKET_MAX_CONNECTIONS: '2', WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example.com' } });
  });

  after(async () => {
    for (const ws of opened) ws.terminate();
    await api.close();
  });

  it('a WebSocket from an origin not allowed is refused', async () => {
    const refused = await upgrade(api, { Origin: 'https://evil.example.net' });
    expect(refused.status).to.equal(403);
    expect((refused.json as { error: { code: string } }).error.code).to.equal('origin_not_allowed');
    expect((await upgrade(api)).status, 'no Origin at all').to.equal(403);
  });

  it('WebSocket connections beyond the cap are refused', async () => {
    for (let i = 0; i < 2; i++) {
      const { ws, status } = await openSocket(api, 'https://app.example.com');
      expect(status, `socket ${i}`).to.equal(undefined);
      opened.push(ws!);
    }
    expectRateLimited(await upgrade(api, { Origin: 'https://app.example.com' }));
    // A socket closed frees its place.
    const closed = new Promise((resolve) => opened[0]!.once('close', resolve));
    opened[0]!.close();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { ws, status } = await openSocket(api, 'https://app.example.com');
    expect(status).to.equal(undefined);
    opened.push(ws!);
  });
});

describe('WebSocket cap per IP', function () {
  this.timeout(60_000);
  let api: TestApi;
  const opened: WebSocket[] = [];

  before(async () => {
    api = await startTestApi({ env: { ...PRODUCTION, WEBSOCKET_MAX_PER_IP: '2' } });
  });

  after(async () => {
    for (const ws of opened) ws.terminate();
    await api.close();
  });

  it('WebSocket connections beyond the per-IP cap are refused', async () => {
    for (let i = 0; i < 2; i++) {
      const { ws } = await openSocket(api);
      opened.push(ws!);
    }
    const { status } = await openSocket(api);
    expect(status).to.equal(429);
  });
});
