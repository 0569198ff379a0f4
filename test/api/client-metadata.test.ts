import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('Client ID Metadata Documents (GET /mcp/client-metadata/:environmentId/:key.json)', () => {
  let api: TestApi;
  let environmentId: string;

  before(async () => {
    api = await startTestApi();
    environmentId = (await api.deps.environments.findBySecretKey(api.secretKey))!.id;
    const create = (body: Record<string, unknown>) => http(api.url, 'POST', '/integrations', { token: api.secretKey, body });
    expect((await create({ provider: 'neon-mcp', unique_key: 'neon:mcp @team' })).status).to.equal(200);
    expect((await create({ provider: 'asana-mcp', unique_key: 'asana-mcp', credentials: { type: 'MCP_OAUTH2', client_id: 'asana-id', client_secret: 'asana-mcp-secret-5d2e9a' } })).status).to.equal(200);
    expect((await create({ provider: 'github', unique_key: 'github' })).status).to.equal(200);
  });
  after(async () => api?.close());

  const documentUrl = (key: string, environment = environmentId) => `${api.url}/mcp/client-metadata/${environment}/${encodeURIComponent(key)}.json`;

  it('serves, without authentication, a public client whose client_id is exactly the document URL', async () => {
    const url = documentUrl('neon:mcp @team');
    const response = await fetch(url);
    expect(response.status).to.equal(200);
    expect(response.headers.get('cache-control')).to.equal('public, max-age=300');
    expect(await response.json()).to.deep.equal({
      client_id: url,
      client_name: 'Neon (MCP)',
      redirect_uris: [`${api.url}/oauth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });

  it('names the environment\'s own callback URL once it has one', async () => {
    const patched = await http(api.url, 'PATCH', '/environment', { token: api.secretKey, body: { callback_url: 'https://backend.example/oauth/callback' } });
    expect(patched.status).to.equal(200);
    try {
      const body = (await (await fetch(documentUrl('neon:mcp @team'))).json()) as { redirect_uris: string[] };
      expect(body.redirect_uris).to.deep.equal(['https://backend.example/oauth/callback']);
    } finally {
      await http(api.url, 'PATCH', '/environment', { token: api.secretKey, body: { callback_url: null } });
    }
  });

  it('never shows the integration\'s client secret', async () => {
    const text = await (await fetch(documentUrl('asana-mcp'))).text();
    expect(text).to.not.contain('asana-mcp-secret-5d2e9a');
    expect(JSON.parse(text)).to.not.have.property('client_secret');
  });

  it('answers one 404 not_found for an integration of another auth mode, an unknown key and an unknown environment', async () => {
    for (const url of [documentUrl('github'), documentUrl('nope'), documentUrl('neon:mcp @team', '00000000-0000-4000-8000-000000000000')]) {
      const response = await fetch(url);
      expect(response.status, url).to.equal(404);
      expect(await response.json(), url).to.deep.equal({ error: { code: 'not_found', message: 'No such client' } });
    }
  });

  it('answers 400 invalid_uri_params for an environment id that is not a UUID or a document without .json', async () => {
    for (const url of [`${api.url}/mcp/client-metadata/dev/neon.json`, `${api.url}/mcp/client-metadata/${environmentId}/neon`]) {
      const response = await fetch(url);
      expect(response.status, url).to.equal(400);
      expect(((await response.json()) as { error: { code: string } }).error.code, url).to.equal('invalid_uri_params');
    }
  });

  it('is limited per client address (RATE_LIMIT_CLIENT_METADATA): past the limit, 429 rate_limited with Retry-After', async () => {
    const limited = await startTestApi({ env: { RATE_LIMIT_CLIENT_METADATA: '2/1m' } });
    try {
      const url = `${limited.url}/mcp/client-metadata/00000000-0000-4000-8000-000000000000/x.json`;
      expect([(await fetch(url)).status, (await fetch(url)).status]).to.deep.equal([404, 404]);
      const refused = await fetch(url);
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('rate_limited');
    } finally {
      await limited.close();
    }
  });
});
