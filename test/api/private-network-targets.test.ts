import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCatalog } from '../../providers/load-catalog';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';
import { createTimeSkippingEnv } from '../support/temporal-env';

// Nango's canvas-lms entry: the host is whatever the end user types, and the field declares no pattern.
const CANVAS_LIKE = {
  'canvas-like': {
    display_name: 'Canvas LMS',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://${connectionConfig.hostname}/login/oauth2/auth',
    token_url: 'https://${connectionConfig.hostname}/login/oauth2/token',
    connection_config: { hostname: { type: 'string', title: 'Hostname', description: 'The domain name of your Canvas instance' } },
  },
};

describe('provider hosts an end user chooses stay out of the private network (ALLOW_PRIVATE_NETWORK_TARGETS=false)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let dir: string;
  let api: TestApi;

  before(async () => {
    env = await createTimeSkippingEnv();
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-net-targets-'));
    const providersFile = path.join(dir, 'providers.yaml');
    writeFileSync(providersFile, stringify(CANVAS_LIKE));
    api = await startTestApi({ temporal: env.client, catalog: loadCatalog({ extraFile: providersFile }), env: { ALLOW_PRIVATE_NETWORK_TARGETS: 'false' } });
    const created = await http(api.url, 'POST', '/integrations', {
      token: api.secretKey,
      body: { provider: 'canvas-like', unique_key: 'canvas', credentials: { type: 'OAUTH2', client_id: 'client', client_secret: 'client-secret' } },
    });
    expect(created.status).to.equal(200);
  });
  after(async () => {
    await api?.close();
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(hostname: string): Promise<Response> {
    const session = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'net-user' } } });
    expect(session.status).to.equal(201);
    const query = new URLSearchParams({ connect_session_token: session.body.data.token, 'params[hostname]': hostname });
    return fetch(`${api.url}/oauth/connect/canvas?${query}`, { redirect: 'manual' });
  }

  for (const hostname of ['127.0.0.1', 'localhost', '10.1.2.3', '169.254.169.254', '[::1]', '0.0.0.0', 'metadata.localhost', '100.64.0.1']) {
    it(`SSRF into the private network: params[hostname]=${hostname} is refused at /oauth/connect with private_network_target`, async () => {
      const response = await connect(hostname);
      expect(response.status).to.equal(400);
      expect(response.headers.get('location')).to.equal(null);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal('private_network_target');
      expect(body.error.message).to.not.contain(hostname);
    });
  }

  it('a public host the end user chose (canvas.example.edu) still redirects to its authorization page', async () => {
    const response = await connect('canvas.example.edu');
    expect(response.status).to.equal(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).to.equal('https://canvas.example.edu/login/oauth2/auth');
  });
});
