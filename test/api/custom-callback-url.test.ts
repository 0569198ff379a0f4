import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;

describe('a custom callback URL on the backend\'s own domain (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let backend: Server;
  let backendUrl: string;
  const redirected: string[] = [];

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    // What the README asks of a backend: answer its callback path with a 308 to Custodian's, query intact.
    backend = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://backend');
      redirected.push(url.pathname);
      res.writeHead(308, { location: `${rig.api.url}/oauth/callback${url.search}` });
      res.end();
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/auth/callback`;
    const patched = await http(rig.api.url, 'PATCH', '/environment', { token: rig.api.secretKey, body: { callback_url: backendUrl } });
    expect(patched.status).to.equal(200);
  });
  after(async () => {
    backend?.close();
    await rig?.close();
    await env?.teardown();
  });

  it('sends the provider the custom redirect_uri, and the 308 from the backend completes the connection', async () => {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'cb-user' } } });
    const start = await fetch(`${rig.api.url}/oauth/connect/fake?connect_session_token=${created.body.data.token}`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('redirect_uri')).to.equal(backendUrl);
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    expect(atProvider.headers.get('location')!.startsWith(`${backendUrl}?`)).to.equal(true);
    // The browser follows the provider to the backend, and the backend's 308 to Custodian.
    const page = await fetch(atProvider.headers.get('location')!);
    expect(redirected).to.deep.equal(['/auth/callback']);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');
    // The code was exchanged with the same redirect_uri the provider saw.
    const exchange = rig.provider.tokenCalls('authorization_code');
    expect(exchange).to.have.length(1);
    expect(exchange[0]!.body.redirect_uri).to.equal(backendUrl);
    expect(exchange[0]!.status).to.equal(200);
  });
});
