import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('API conventions: bodies, errors, CORS, health (API.md §0)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  it('answers 400 invalid_json for a malformed JSON body and creates nothing', async () => {
    const res = await http(api.url, 'POST', '/integrations', { token: api.secretKey, rawBody: '{"provider": "github",', headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ error: { code: 'invalid_json', message: 'Request body is not valid JSON' } });
    expect((await http(api.url, 'GET', '/integrations', { token: api.secretKey })).body.data).to.deep.equal([]);
  });

  it('answers 415 invalid_content_type for a non-JSON body', async () => {
    const res = await http(api.url, 'POST', '/integrations', { token: api.secretKey, rawBody: 'provider=github', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).to.equal(415);
    expect(res.body.error.code).to.equal('invalid_content_type');
  });

  it('answers 413 for a body over 1 MB', async () => {
    const big = JSON.stringify({ provider: 'github', unique_key: 'x', display_name: 'y'.repeat(1024 * 1024) });
    const res = await http(api.url, 'POST', '/integrations', { token: api.secretKey, rawBody: big, headers: { 'content-type': 'application/json' } });
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('payload_too_large');
  });

  it('accepts the SDK headers, including Content-Type on a GET', async () => {
    const res = await http(api.url, 'GET', '/integrations', {
      token: api.secretKey,
      headers: { 'content-type': 'application/json', 'nango-is-sync': 'false', 'nango-is-script': 'false', 'nango-is-dry-run': 'false', 'user-agent': 'nango-node-client/0.71.10' },
    });
    expect(res.status).to.equal(200);
  });

  it('answers an unknown route with 404 not_found in the error envelope', async () => {
    const res = await http(api.url, 'GET', '/no/such/route', { token: api.secretKey });
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('not_found');
  });

  it('answers a preflight on browser-facing routes with CORS for any origin, and none on backend-only routes', async () => {
    const preflight = { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' };
    const browser = await fetch(`${api.url}/providers`, { method: 'OPTIONS', headers: preflight });
    expect(browser.status).to.equal(204);
    expect(browser.headers.get('access-control-allow-origin')).to.equal('*');
    expect(browser.headers.get('access-control-allow-headers')).to.contain('Authorization');
    const backend = await fetch(`${api.url}/environment`, { method: 'OPTIONS', headers: preflight });
    expect(backend.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it('reports liveness on /health and, with no Temporal client, not ready on /health/ready', async () => {
    expect((await http(api.url, 'GET', '/health')).body).to.deep.equal({ result: 'ok' });
    const ready = await http(api.url, 'GET', '/health/ready');
    expect(ready.status).to.equal(503);
    expect(ready.body.error.payload.checks).to.deep.equal({ database: 'ok', temporal: 'unreachable' });
  });
});
