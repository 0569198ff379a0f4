import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('MCP_OAUTH2_GENERIC: the MCP server an end user names stays out of the private network (ALLOW_PRIVATE_NETWORK_TARGETS=false)', function () {
  this.timeout(60_000);
  let api: TestApi;

  before(async () => {
    api = await startTestApi({ env: { ALLOW_PRIVATE_NETWORK_TARGETS: 'false' } });
    const created = await http(api.url, 'POST', '/integrations', { token: api.secretKey, body: { provider: 'mcp-generic', unique_key: 'mcp' } });
    expect(created.status).to.equal(200);
  });
  after(async () => api?.close());

  async function start(serverUrl: string) {
    const session = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-net' } } });
    const query = new URLSearchParams({ connect_session_token: session.body.data.token as string, 'params[mcp_server_url]': serverUrl });
    return fetch(`${api.url}/oauth/connect/mcp?${query}`, { redirect: 'manual' });
  }

  for (const serverUrl of ['https://127.0.0.1/mcp', 'https://169.254.169.254/latest/mcp', 'https://10.0.0.7:8443/mcp', 'https://localhost/mcp']) {
    it(`refuses ${serverUrl} at flow start with 400 private_network_target naming the field`, async () => {
      const response = await start(serverUrl);
      expect(response.status).to.equal(400);
      const text = await response.text();
      expect(text).to.include('private_network_target');
      expect(text).to.include('mcp_server_url');
    });
  }

  it('refuses a URL outside the field\'s pattern (plain http) with 400 invalid_connection_config', async () => {
    const response = await start('http://mcp.example.com/mcp');
    expect(response.status).to.equal(400);
    expect(await response.text()).to.include('invalid_connection_config');
  });
});
