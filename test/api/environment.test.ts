import { Nango } from '@nangohq/node';
import { expect } from 'chai';
import { SECRET_KEY_FORMAT } from '../../src/environments/secret-key';
import { webhookHeaders } from '../../src/webhooks/sign-webhook';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('environment settings API (API.md §6)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ env: { ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' } });
  });
  after(async () => api?.close());

  const call = (method: string, path: string, body?: unknown) => http(api.url, method, path, { token: api.secretKey, body });

  it('shows the defaults and never the secret key or the signing key', async () => {
    const res = await call('GET', '/environment');
    expect(res.status).to.equal(200);
    const { created_at: _c, updated_at: _u, ...settings } = res.body.data;
    expect(settings).to.deep.equal({
      name: 'dev',
      webhook: { primary_url: null, secondary_url: null, on_auth_creation: true, on_auth_refresh_error: true, on_auth_refresh_recovered: false, on_connection_deleted: false },
      callback_url: null,
      connect_ui: { theme: 'system', primary_color: null, logo_url: null },
    });
    expect(JSON.stringify(res.body)).to.not.contain(api.secretKey);
  });

  it('updates webhook, callback and Connect UI settings, leaving unnamed ones alone; "" clears a URL', async () => {
    const res = await call('PATCH', '/environment', {
      webhook: { primary_url: 'https://hooks.example.com/custodian', on_connection_deleted: true },
      callback_url: 'https://app.example.com/oauth/callback',
      connect_ui: { theme: 'dark', primary_color: '#1a73e8' },
    });
    expect(res.status).to.equal(200);
    expect(res.body.data.webhook).to.deep.equal({
      primary_url: 'https://hooks.example.com/custodian', secondary_url: null,
      on_auth_creation: true, on_auth_refresh_error: true, on_auth_refresh_recovered: false, on_connection_deleted: true,
    });
    expect(res.body.data.callback_url).to.equal('https://app.example.com/oauth/callback');
    expect(res.body.data.connect_ui).to.deep.equal({ theme: 'dark', primary_color: '#1a73e8', logo_url: null });
    const cleared = await call('PATCH', '/environment', { callback_url: '' });
    expect(cleared.body.data.callback_url).to.equal(null);
    expect((await call('GET', '/environment')).body.data.webhook.primary_url).to.equal('https://hooks.example.com/custodian');
  });

  it('refuses bad settings with 400 invalid_body naming each field, and changes nothing', async () => {
    const res = await call('PATCH', '/environment', {
      webhook: { primary_url: 'ftp://x.example', on_auth_creation: 'yes' },
      connect_ui: { theme: 'pink', primary_color: 'blue' },
    });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_body');
    expect(res.body.error.errors.map((e: { path: unknown[] }) => e.path.join('.'))).to.have.members([
      'webhook.primary_url', 'webhook.on_auth_creation', 'connect_ui.theme', 'connect_ui.primary_color',
    ]);
    const after = await call('GET', '/environment');
    expect(after.body.data.connect_ui.theme).to.equal('dark');
  });

  it('refuses loopback and private webhook targets when ALLOW_PRIVATE_WEBHOOK_TARGETS is off', async () => {
    for (const url of ['http://127.0.0.1:9000/h', 'http://localhost/h', 'http://10.1.2.3/h', 'http://[::1]/h', 'http://169.254.169.254/latest']) {
      const res = await call('PATCH', '/environment', { webhook: { secondary_url: url } });
      expect(res.status, url).to.equal(400);
      expect(res.body.error.errors[0].path, url).to.deep.equal(['webhook', 'secondary_url']);
    }
  });

  it('the answer carrying a rotated webhook signing key sends Cache-Control: no-store, so no cache keeps the key', async () => {
    const rotated = await call('POST', '/environment/webhook-signing-key/rotate');
    expect(rotated.status).to.equal(200);
    expect(rotated.body.data.webhook_signing_key).to.match(/^[0-9a-f]{64}$/);
    expect(rotated.headers.get('cache-control')).to.equal('no-store');
  });

  it('rotates the webhook signing key: returned once, stored encrypted, different each time', async () => {
    const first = await call('POST', '/environment/webhook-signing-key/rotate');
    const second = await call('POST', '/environment/webhook-signing-key/rotate');
    expect(first.status).to.equal(200);
    expect(first.body.data.webhook_signing_key).to.match(/^[0-9a-f]{64}$/);
    expect(second.body.data.webhook_signing_key).to.not.equal(first.body.data.webhook_signing_key);
    const env = await api.deps.environments.findByName('dev');
    expect(env!.webhookSigningKeyEncrypted).to.not.contain(second.body.data.webhook_signing_key);
    expect(api.deps.environments.webhookSigningKey(env!)).to.equal(second.body.data.webhook_signing_key);
    expect(JSON.stringify((await call('GET', '/environment')).body)).to.not.contain(second.body.data.webhook_signing_key);
  });

  it('rejects every environment route without a valid key', async () => {
    for (const [method, path] of [['GET', '/environment'], ['PATCH', '/environment'], ['POST', '/environment/webhook-signing-key/rotate']]) {
      const res = await http(api.url, method!, path!, { token: '00000000-0000-4000-8000-000000000000' });
      expect(res.status, path).to.equal(401);
      expect(res.body.error.code).to.equal('unknown_account');
    }
  });

  it('webhook targets at [::127.0.0.1] and [64:ff9b::7f00:1] are refused when written: environment URLs and every webhook_url_override (session, reconnect, PATCH connection, import)', async () => {
    for (const target of ['http://[::127.0.0.1]:8080/hook', 'http://[64:ff9b::7f00:1]/hook', 'http://198.18.0.1/hook', 'http://[fec0::1]/hook']) {
      const env = await call('PATCH', '/environment', { webhook: { primary_url: target } });
      expect(env.status, target).to.equal(400);
      expect(env.body.error.code).to.equal('invalid_body');
      const writes: [string, string, unknown][] = [
        ['POST', '/connect/sessions', { end_user: { id: 'u' }, webhook_url_override: target }],
        ['POST', '/connect/sessions/reconnect', { connection_id: 'c', integration_id: 'i', webhook_url_override: target }],
        ['PATCH', '/connection/c?provider_config_key=i', { webhook_url_override: target }],
        ['POST', '/connections', { provider_config_key: 'i', webhook_url_override: target, credentials: { type: 'API_KEY', apiKey: 'k' } }],
      ];
      for (const [method, path, body] of writes) {
        const res = await call(method, path, body);
        expect({ status: res.status, code: res.body.error?.code }, `${method} ${path} ${target}`).to.deep.equal({ status: 400, code: 'invalid_body' });
        expect(res.body.error.errors.map((e: { path: string[] }) => e.path.join('.'))).to.deep.equal(['webhook_url_override']);
      }
    }
    const untouched = await call('GET', '/environment');
    expect(JSON.stringify(untouched.body)).to.not.contain('7f00');
  });
});

describe('secret key rotation (POST /environment/secret-key/rotate)', function () {
  this.timeout(30_000);
  let api: TestApi;
  let second: TestApi;
  before(async () => {
    api = await startTestApi();
    second = await startTestApi({ databaseUrl: api.databaseUrl, encryptionKey: api.encryptionKey });
  });
  after(async () => {
    await second?.close();
    await api?.close();
  });

  const get = (base: TestApi, token: string) => http(base.url, 'GET', '/environment', { token });
  const rotate = (token: string, body?: unknown) => http(api.url, 'POST', '/environment/secret-key/rotate', { token, body });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('a leaked key is replaced without downtime: the old key works on every instance during the overlap and is 401 unknown_account on every instance after it, though the other instance had it cached', async () => {
    const oldKey = await api.createEnvironment('rotating');
    // Both instances have used (and cached) the old key before the rotation.
    expect((await get(api, oldKey)).status).to.equal(200);
    expect((await get(second, oldKey)).status).to.equal(200);

    const res = await rotate(oldKey, { overlap: '5s' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const newKey = res.body.data.secret_key as string;
    expect(newKey).to.match(SECRET_KEY_FORMAT).and.not.equal(oldKey);
    const endsAt = Date.parse(res.body.data.previous_secret_key_expires_at as string);
    expect(endsAt - Date.now()).to.be.within(3_000, 5_500);

    for (const instance of [api, second]) {
      expect((await get(instance, newKey)).status).to.equal(200);
      const during = await get(instance, oldKey);
      expect(during.status).to.equal(200);
      expect(during.body.data.name).to.equal('rotating');
      expect(JSON.stringify(during.body)).to.not.contain(newKey);
    }
    const stored = (await api.deps.environments.findByName('rotating'))!;
    expect(JSON.stringify(stored)).to.not.contain(newKey).and.not.contain(oldKey);

    // Used again just before the end: a lookup cache would now serve it past the end; the row decides instead.
    await sleep(endsAt - Date.now() - 800);
    for (const instance of [api, second]) expect((await get(instance, oldKey)).status).to.equal(200);
    await sleep(endsAt - Date.now() + 300);
    for (const instance of [api, second]) {
      const after = await get(instance, oldKey);
      expect(after.status).to.equal(401);
      expect(after.body.error.code).to.equal('unknown_account');
      expect((await get(instance, newKey)).status).to.equal(200);
    }
  });

  it('the replaced key cannot rotate again during its overlap (403 secret_key_superseded), so a leaked key cannot take the environment back', async () => {
    const oldKey = await api.createEnvironment('superseded');
    const first = await rotate(oldKey);
    expect(first.status).to.equal(200);
    const res = await rotate(oldKey);
    expect(res.status).to.equal(403);
    expect(res.body.error.code).to.equal('secret_key_superseded');
    expect((await get(second, first.body.data.secret_key)).status).to.equal(200);
  });

  it('overlaps 24 h by default, and a second rotation ends the oldest key at once on every instance', async () => {
    const a = await api.createEnvironment('default-overlap');
    const b = (await rotate(a)).body.data as { secret_key: string; previous_secret_key_expires_at: string };
    expect(Date.parse(b.previous_secret_key_expires_at) - Date.now()).to.be.within(86_400_000 - 60_000, 86_400_000);
    expect((await get(second, a)).status).to.equal(200);
    const c = await rotate(b.secret_key);
    expect(c.status).to.equal(200);
    for (const instance of [api, second]) {
      expect((await get(instance, a)).body.error?.code).to.equal('unknown_account');
      expect((await get(instance, b.secret_key)).status).to.equal(200);
      expect((await get(instance, c.body.data.secret_key)).status).to.equal(200);
    }
  });

  it('refuses an overlap that is malformed, shorter than 5s or longer than 7d with 400 invalid_body, and keeps the key', async () => {
    const key = await api.createEnvironment('bad-overlap');
    for (const overlap of ['soon', '1s', '0s', '8d', 24, '']) {
      const res = await rotate(key, { overlap });
      expect(res.status, String(overlap)).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_body');
      expect(res.body.error.errors[0].path).to.deep.equal(['overlap']);
    }
    expect((await rotate(key, { overlap: '1h', extra: true })).status).to.equal(400);
    expect((await get(api, key)).status).to.equal(200);
  });

  it('webhooks stay verifiable by @nangohq/node with the new key: a signing key still equal to the secret key follows it, a separately rotated one is kept', async () => {
    const oldKey = await api.createEnvironment('signing');
    const newKey = (await rotate(oldKey)).body.data.secret_key as string;
    const env = (await api.deps.environments.findByName('signing'))!;
    expect(api.deps.environments.webhookSigningKey(env)).to.equal(newKey);
    const body = JSON.stringify({ type: 'auth', connectionId: 'c1' });
    const headers = webhookHeaders({ body, signingKey: api.deps.environments.webhookSigningKey(env), webhookId: 'msg_1', timestamp: new Date() });
    const nango = new Nango({ secretKey: newKey, host: api.url });
    expect(nango.verifyIncomingWebhookRequest(body, headers)).to.equal(true);
    expect(new Nango({ secretKey: oldKey, host: api.url }).verifyIncomingWebhookRequest(body, headers)).to.equal(false);
    expect((await nango.listConnections()).connections).to.deep.equal([]);

    const signing = (await http(api.url, 'POST', '/environment/webhook-signing-key/rotate', { token: newKey })).body.data.webhook_signing_key as string;
    const newest = (await rotate(newKey)).body.data.secret_key as string;
    expect(newest).to.not.equal(signing);
    expect(api.deps.environments.webhookSigningKey((await api.deps.environments.findByName('signing'))!)).to.equal(signing);
  });

  it('rejects the rotation without a valid key', async () => {
    const res = await http(api.url, 'POST', '/environment/secret-key/rotate', { token: '00000000-0000-4000-8000-000000000000' });
    expect(res.status).to.equal(401);
    expect(res.body.error.code).to.equal('unknown_account');
    expect((await http(api.url, 'POST', '/environment/secret-key/rotate')).body.error.code).to.equal('missing_auth_header');
  });
});
