import { expect } from 'chai';
import { Cipher } from '../../src/crypto/cipher';
import { EnvironmentStore, MIN_SECRET_KEY_OVERLAP_MS } from '../../src/environments/environment-store';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('routing by first path segment answers as every router in turn would', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api?.close());

  it('serves a route under its segment, whatever its case, and 404 not_found for a path no router has', async () => {
    const lower = await http(api.url, 'GET', '/connections/nobody?provider_config_key=none', { token: api.secretKey });
    const upper = await http(api.url, 'GET', '/CONNECTIONS/nobody?provider_config_key=none', { token: api.secretKey });
    expect(lower.status).to.equal(400);
    expect(upper.status).to.equal(lower.status);
    expect(upper.body).to.deep.equal(lower.body);
    const unknown = await http(api.url, 'GET', '/no-such-segment/x', { token: api.secretKey });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal('not_found');
  });

  it('answers 405 method_not_allowed, and OPTIONS lists the methods, from the routes matching the path', async () => {
    const wrong = await http(api.url, 'PUT', '/providers', { token: api.secretKey });
    expect(wrong.status).to.equal(405);
    expect(wrong.body.error.code).to.equal('method_not_allowed');
    const options = await fetch(`${api.url}/environment`, { method: 'OPTIONS' });
    expect(options.status).to.equal(200);
    expect(options.headers.get('allow')?.split(', ').sort()).to.deep.equal(['GET', 'HEAD', 'PATCH']);
  });
});

describe('secret-key authentication cache: a replaced key stops working within the cache lifetime', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api?.close());

  it('another instance serves its cached key for at most the cache lifetime, then asks the row, which refuses the key once its overlap is over', async () => {
    const cipher = new Cipher([{ id: 'test', key: api.encryptionKey }]);
    let clock = Date.now();
    // A second API instance on the same database, with a clock of the test's.
    const other = new EnvironmentStore(api.deps.db, cipher, () => clock);
    const environment = (await other.findBySecretKey(api.secretKey))!;
    expect(environment).to.not.equal(undefined);
    await api.deps.environments.rotateSecretKey(environment.id, api.secretKey, MIN_SECRET_KEY_OVERLAP_MS);
    // The overlap ends (as the clock of PostgreSQL would end it).
    await api.deps.db.query("UPDATE environment SET previous_secret_key_expires_at = now() - interval '1 second' WHERE id = $1", [environment.id]);
    expect(await api.deps.environments.findBySecretKey(api.secretKey), 'the instance that rotated forgets the key at once').to.equal(undefined);
    expect((await other.findBySecretKey(api.secretKey))?.id, 'cached, inside the documented bound').to.equal(environment.id);
    clock += MIN_SECRET_KEY_OVERLAP_MS;
    expect(await other.findBySecretKey(api.secretKey), 'once the cache entry is as old as its lifetime').to.equal(undefined);
    const refused = await http(api.url, 'GET', '/connections', { token: api.secretKey });
    expect(refused.status).to.equal(401);
  });
});
