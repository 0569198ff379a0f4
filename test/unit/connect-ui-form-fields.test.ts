import { expect } from 'chai';
import { loadCatalog } from '../../providers/load-catalog';
import {
  buildFields,
  collectValues,
  contrastText,
  describeApiError,
  directAuthRequest,
  oauthUrl,
  resolveTheme,
  validateField,
  visibleFields,
  type ProviderLike,
} from '../../src/connect-ui/form-fields.js';

describe('Connect UI form fields (src/connect-ui/form-fields.js)', () => {
  const catalog = loadCatalog();
  const provider = (name: string) => catalog.get(name) as unknown as ProviderLike;

  it("builds Zendesk's OAuth form from its connection_config: title, prefix/suffix, example as placeholder, required pattern", () => {
    const fields = buildFields(provider('zendesk'));
    expect(fields).to.have.length(1);
    expect(fields[0]).to.include({ group: 'params', name: 'subdomain', title: 'Zendesk subdomain', prefix: 'https://', suffix: '.zendesk.com', placeholder: 'acme', required: true, secret: false });
    expect(validateField(fields[0]!, '')).to.equal('Zendesk subdomain is required.');
    expect(validateField(fields[0]!, 'Acme Corp')).to.match(/expected format \(for example acme\)/);
    expect(validateField(fields[0]!, 'acme')).to.equal(null);
    // A pasted full host is reduced to the part the field takes.
    expect(collectValues(fields, { subdomain: ' https://acme.zendesk.com ' })).to.deep.equal({ errors: {}, params: { subdomain: 'acme' }, credentials: {} });
  });

  it('leaves out automated fields; keeps optional ones optional', () => {
    const salesforce = buildFields(provider('salesforce'));
    expect(salesforce.map((f) => f.name)).to.deep.equal(['hostname']);
    expect(salesforce[0]!.required).to.equal(false);
    expect(collectValues(salesforce, { hostname: '' })).to.deep.equal({ errors: {}, params: {}, credentials: {} });
  });

  it('security: a field the session pins is shown with the pinned value and never sent, whatever was typed into it', () => {
    const fields = buildFields(provider('zendesk'), { presetConnectionConfig: { subdomain: 'acme' } });
    expect(fields.map((f) => [f.name, f.pinned, f.pinnedValue])).to.deep.equal([['subdomain', true, 'acme']]);
    expect(visibleFields(fields).map((f) => f.name), 'shown (read-only), not left out').to.deep.equal(['subdomain']);
    expect(validateField(fields[0]!, 'not a subdomain!')).to.equal(null);
    expect(collectValues(fields, { subdomain: 'evil' })).to.deep.equal({ errors: {}, params: {}, credentials: {} });
    expect(buildFields(provider('zendesk'))[0]!.pinned).to.equal(false);
  });

  it('adds the credentials of API_KEY / BASIC with the catalog titles; hidden fields are not shown but sent with their default', () => {
    const anthropic = buildFields(provider('anthropic'));
    expect(anthropic.map((f) => [f.group, f.name, f.title, f.secret])).to.deep.equal([['credentials', 'apiKey', 'API key', true]]);
    const bamboo = buildFields(provider('bamboohr-basic'));
    expect(visibleFields(bamboo).map((f) => f.name)).to.deep.equal(['subdomain', 'username']);
    expect(collectValues(bamboo, { subdomain: 'acme', username: 'key-1' })).to.deep.equal({ errors: {}, params: { subdomain: 'acme' }, credentials: { username: 'key-1', password: 'x' } });
    const missing = collectValues(bamboo, { subdomain: 'acme', username: '' });
    expect(missing.errors).to.deep.equal({ username: 'API key is required.' });
  });

  it('falls back to generic credential fields when the catalog has no schema, ordered by `order`', () => {
    const fields = buildFields({
      auth_mode: 'OAUTH2_CC',
      connection_config: {
        b: { type: 'string', title: 'B', description: '', order: 2 },
        a: { type: 'string', title: 'A', description: '', order: 1 },
      },
    });
    expect(fields.map((f) => [f.name, f.title, f.secret])).to.deep.equal([['a', 'A', false], ['b', 'B', false], ['client_id', 'Client ID', false], ['client_secret', 'Client secret', true]]);
  });

  it('builds the auth URLs and bodies of API.md §4', () => {
    expect(oauthUrl('http://api.test/', 'my key', 'tok', { subdomain: 'acme' })).to.equal('http://api.test/oauth/connect/my%20key?connect_session_token=tok&params%5Bsubdomain%5D=acme');
    expect(oauthUrl('http://api.test', 'k', 'tok', {}, 'ws-1')).to.equal('http://api.test/oauth/connect/k?connect_session_token=tok&ws_client_id=ws-1');
    expect(directAuthRequest('http://api.test', 'API_KEY', 'k', 'tok', {}, { apiKey: 's' })).to.deep.equal({ url: 'http://api.test/api-auth/api-key/k?connect_session_token=tok', body: { apiKey: 's' } });
    expect(directAuthRequest('http://api.test', 'BASIC', 'k', 'tok', { dc: 'eu' }, { username: 'u' })).to.deep.equal({ url: 'http://api.test/api-auth/basic/k?connect_session_token=tok&params%5Bdc%5D=eu', body: { username: 'u', password: '' } });
    expect(directAuthRequest('http://api.test', 'OAUTH2_CC', 'k', 'tok', {}, { client_id: 'i', client_secret: 's' })?.url).to.equal('http://api.test/oauth2/auth/k?connect_session_token=tok');
    expect(directAuthRequest('http://api.test', 'NONE', 'k', 'tok')).to.deep.equal({ url: 'http://api.test/auth/unauthenticated/k?connect_session_token=tok', body: {} });
    expect(directAuthRequest('http://api.test', 'OAUTH2', 'k', 'tok')).to.equal(null);
  });

  it('maps API errors to a form message and to the fields their paths name', () => {
    const fields = buildFields(provider('bamboohr-basic'));
    expect(describeApiError({ error: { code: 'connection_test_failed', message: 'Unauthorized' } }, fields)).to.deep.equal({ code: 'connection_test_failed', message: 'Unauthorized', fieldErrors: {} });
    const invalid = describeApiError({ error: { code: 'invalid_connection_config', message: 'bad', errors: [{ path: ['params', 'subdomain'], message: 'Company domain does not have the expected format' }, { path: ['password'], message: 'hidden' }] } }, fields);
    expect(invalid.fieldErrors).to.deep.equal({ subdomain: 'Company domain does not have the expected format' });
    expect(describeApiError(null)).to.deep.equal({ code: 'unknown_error', message: 'The request failed.', fieldErrors: {} });
  });

  it('resolves the theme and a readable text colour on the primary colour', () => {
    expect(resolveTheme('system', null, true)).to.equal('dark');
    expect(resolveTheme('dark', 'light', true)).to.equal('light');
    expect(resolveTheme('light', 'bogus', true)).to.equal('light');
    expect(contrastText('#000')).to.equal('#ffffff');
    expect(contrastText('#ffee00')).to.equal('#000000');
    expect(contrastText('rebeccapurple')).to.equal(null);
  });
});
