import { expect } from 'chai';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

describe('providers API (API.md §3)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  it('lists the whole catalog with name and logo_url on each entry', async () => {
    const res = await http(api.url, 'GET', '/providers', { token: api.secretKey });
    expect(res.status).to.equal(200);
    expect(res.body.data).to.have.length(api.deps.catalog.size);
    const github = res.body.data.find((p: { name: string }) => p.name === 'github');
    expect(github).to.include({ display_name: 'GitHub', auth_mode: 'OAUTH2', authorization_url: 'https://github.com/login/oauth/authorize', logo_url: `${api.url}/logos/github.svg` });
  });

  it('filters by search on name, display name or category', async () => {
    const res = await http(api.url, 'GET', '/providers?search=google', { token: api.secretKey });
    const names = res.body.data.map((p: { name: string }) => p.name);
    expect(names).to.include.members(['google', 'google-calendar', 'google-mail']);
    expect(names).to.not.include('github');
  });

  it('returns one provider, 404 not_found for an unknown one, 400 invalid_uri_params for a bad name', async () => {
    const ok = await http(api.url, 'GET', '/providers/salesforce', { token: api.secretKey });
    expect(ok.status).to.equal(200);
    expect(ok.body.data).to.include({ name: 'salesforce', auth_mode: 'OAUTH2' });
    const missing = await http(api.url, 'GET', '/providers/nope', { token: api.secretKey });
    expect(missing.status).to.equal(404);
    expect(missing.body.error.code).to.equal('not_found');
    const bad = await http(api.url, 'GET', '/providers/a.b', { token: api.secretKey });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('invalid_uri_params');
  });

  it('serves a generated SVG logo without credentials, and 404 for an unknown provider', async () => {
    const logo = await fetch(`${api.url}/logos/github.svg`);
    expect(logo.status).to.equal(200);
    expect(logo.headers.get('content-type')).to.contain('image/svg+xml');
    expect(await logo.text()).to.contain('aria-label="GitHub"').and.contain('>GI</text>');
    expect((await fetch(`${api.url}/logos/nope.svg`)).status).to.equal(404);
  });

  it('shows a connect session the field schemas the Connect UI renders (connection_config and credentials)', async () => {
    const session = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-providers' } } });
    const token = session.body.data.token as string;
    const zendesk = await http(api.url, 'GET', '/providers/zendesk', { token });
    expect(zendesk.status).to.equal(200);
    expect(zendesk.body.data.connection_config.subdomain).to.deep.equal({
      type: 'string', title: 'Zendesk subdomain', description: 'The subdomain of your Zendesk account.', example: 'acme',
      pattern: '^[a-z0-9][a-z0-9-]*$', prefix: 'https://', suffix: '.zendesk.com',
    });
    const bamboo = await http(api.url, 'GET', '/providers/bamboohr-basic', { token });
    expect(bamboo.body.data.credentials.username).to.include({ title: 'API key', secret: true });
    expect(bamboo.body.data.credentials.password).to.include({ hidden: true, default_value: 'x' });
  });

  it('says how the Connect UI connects each provider (`connect`, from its auth mode\'s strategy): a redirect, or a form with its route and fields', async () => {
    const session = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-connect' } } });
    const token = session.body.data.token as string;
    const zendesk = await http(api.url, 'GET', '/providers/zendesk', { token });
    expect(zendesk.body.data.connect).to.deep.equal({ kind: 'redirect' });
    const bamboo = await http(api.url, 'GET', '/providers/bamboohr-basic', { token });
    expect(bamboo.body.data.connect).to.deep.equal({
      kind: 'form',
      route: '/api-auth/basic/{key}',
      credentials: { username: bamboo.body.data.credentials.username, password: { ...bamboo.body.data.credentials.password, secret: true } },
      sections: {},
    });
    const listed = await http(api.url, 'GET', '/providers', { token: api.secretKey });
    const kinds = new Set((listed.body.data as { connect: { kind: string } | null }[]).map((p) => p.connect?.kind ?? null));
    expect([...kinds].sort(), 'every catalog provider can be connected from the page').to.deep.equal(['form', 'redirect']);
  });

  it('rejects the provider routes without a key', async () => {
    for (const path of ['/providers', '/providers/github']) {
      const res = await http(api.url, 'GET', path);
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('missing_auth_header');
    }
  });
});
