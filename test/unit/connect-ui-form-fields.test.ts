import { expect } from 'chai';
import type { ProviderEntry } from '../../providers/catalog-schema';
import { loadCatalog } from '../../providers/load-catalog';
import { presentProvider } from '../../src/api/presenters/provider';
import {
  buildFields,
  collectValues,
  connectStyleOf,
  contrastText,
  credentialTitles,
  describeApiError,
  formRequest,
  oauthUrl,
  resolveTheme,
  validateField,
  visibleFields,
  type ProviderLike,
} from '../../src/connect-ui/form-fields.js';

describe('Connect UI form fields (src/connect-ui/form-fields.js)', () => {
  const catalog = loadCatalog();
  /** A provider as the Connect UI reads it: `GET /providers/:name`, with the `connect` the server derives. */
  const present = (name: string, entry: unknown) => presentProvider('http://api.test', name, entry as ProviderEntry) as unknown as ProviderLike;
  const provider = (name: string) => present(name, catalog.get(name));

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

  it("takes a form's credential fields from its connect (the strategy's body titles them when the catalog has no schema), ordered by `order`", () => {
    const fields = buildFields(
      present('cc', {
        display_name: 'CC',
        auth_mode: 'OAUTH2_CC',
        token_url: 'https://cc.example/token',
        connection_config: {
          b: { type: 'string', title: 'B', description: '', order: 2 },
          a: { type: 'string', title: 'A', description: '', order: 1 },
        },
      }),
    );
    expect(fields.map((f) => [f.name, f.title, f.secret, f.inputType])).to.deep.equal([
      ['a', 'A', false, 'text'],
      ['b', 'B', false, 'text'],
      ['client_id', 'Client ID', false, 'text'],
      ['client_secret', 'Client secret', true, 'password'],
    ]);
    expect(credentialTitles(fields)).to.deep.equal(['Client ID', 'Client secret']);
  });

  it('renders what the field schema says, not what the auth mode is: multi-line private key, password, URL, email', () => {
    const provider = {
      auth_mode: 'ANY_FORM_MODE',
      connect: {
        kind: 'form' as const,
        route: '/auth/any/{key}',
        credentials: {
          privateKey: { type: 'string', title: 'Private key', secret: true, multiline: true, pattern: '^-----BEGIN PRIVATE KEY-----\\s*[A-Za-z0-9+/=\\s]+\\s*-----END PRIVATE KEY-----\\s*$' },
          certificate: { type: 'string', title: 'Certificate', multiline: true, optional: true },
          clientEmail: { type: 'string', title: 'Client email', format: 'email' },
          secret: { type: 'string', title: 'Shared secret', secret: true },
        },
      },
      connection_config: { serverUrl: { type: 'string', title: 'Server URL', format: 'uri' } },
    };
    const fields = buildFields(provider);
    expect(fields.map((f) => [f.group, f.name, f.control, f.inputType, f.secret, f.multiline])).to.deep.equal([
      ['params', 'serverUrl', 'input', 'url', false, false],
      ['credentials', 'privateKey', 'textarea', null, true, true],
      ['credentials', 'certificate', 'textarea', null, false, true],
      ['credentials', 'clientEmail', 'input', 'email', false, false],
      ['credentials', 'secret', 'input', 'password', true, false],
    ]);
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCd==\n-----END PRIVATE KEY-----\n';
    const privateKey = fields[1]!;
    expect(validateField(privateKey, 'not a key')).to.equal('Private key does not have the expected format.');
    expect(validateField(privateKey, pem), 'the pattern is checked across lines').to.equal(null);
    const typed = { serverUrl: 'https://mcp.example/mcp', privateKey: pem, certificate: '\n  -----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----  \n', clientEmail: 'svc@acme.example', secret: ' s p ' };
    const { errors, params, credentials } = collectValues(fields, typed);
    expect(errors).to.deep.equal({});
    expect(params).to.deep.equal({ serverUrl: 'https://mcp.example/mcp' });
    expect(credentials, 'a secret is sent exactly as typed, line breaks included; other values trimmed').to.deep.equal({
      privateKey: pem,
      certificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----',
      clientEmail: 'svc@acme.example',
      secret: ' s p ',
    });
    expect(collectValues(fields, { serverUrl: 'not a url', privateKey: pem, clientEmail: 'nope', secret: 'x' }).errors).to.deep.equal({
      serverUrl: 'Server URL must be a URL.',
      clientEmail: 'Client email must be an email address.',
    });
  });

  it("a section's fields (an assertion's private key) are posted as an object of their own, and errors at their path find them", () => {
    const fields = buildFields({
      connect: {
        kind: 'form',
        route: '/auth/two-step/{key}',
        credentials: { clientId: { type: 'string', title: 'Client ID' } },
        sections: { assertionOption: { privateKey: { type: 'string', title: 'Private key', secret: true, multiline: true } } },
      },
    });
    expect(fields.map((f) => [f.name, f.key, f.section, f.control])).to.deep.equal([
      ['clientId', 'clientId', null, 'input'],
      ['assertionOption.privateKey', 'privateKey', 'assertionOption', 'textarea'],
    ]);
    const pem = '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----';
    expect(collectValues(fields, { clientId: 'c-1', 'assertionOption.privateKey': pem }).credentials).to.deep.equal({ clientId: 'c-1', assertionOption: { privateKey: pem } });
    expect(collectValues(fields, { clientId: 'c-1', 'assertionOption.privateKey': '' }).errors).to.deep.equal({ 'assertionOption.privateKey': 'Private key is required.' });
    expect(credentialTitles(fields)).to.deep.equal(['Client ID', 'Private key']);
    const described = describeApiError({ error: { code: 'invalid_body', message: 'bad', errors: [{ path: ['assertionOption', 'privateKey'], message: 'not a PEM key' }, { path: ['privateKey'], message: 'elsewhere' }] } }, fields);
    expect(described.fieldErrors).to.deep.equal({ 'assertionOption.privateKey': 'not a PEM key' });
  });

  it('reads how to connect from connect only: redirect, a form with its route, or nothing the page can use', () => {
    expect(connectStyleOf(provider('zendesk'))).to.deep.equal({ kind: 'redirect' });
    expect(connectStyleOf(provider('anthropic'))).to.deep.include({ kind: 'form', route: '/api-auth/api-key/{key}' });
    expect(connectStyleOf({ auth_mode: 'OAUTH2' }), 'an auth mode alone says nothing').to.equal(null);
    const odd = (connect: unknown) => connectStyleOf({ connect } as unknown as ProviderLike);
    expect(odd({ kind: 'form', route: 'https://evil.example/{key}', credentials: {} }), 'only a path of this API').to.equal(null);
    expect(odd({ kind: 'form', route: '/auth/x', credentials: {} }), 'a route without the key').to.equal(null);
    expect(odd({ kind: 'popup' })).to.equal(null);
    expect(odd(null)).to.equal(null);
    expect(buildFields({ auth_mode: 'API_KEY', credentials: { apiKey: { type: 'string', title: 'API key' } } }), 'no connect, no credential fields').to.deep.equal([]);
  });

  it('builds the auth URLs and bodies of API.md §4: the popup URL, and a form posted to the route the server named', () => {
    expect(oauthUrl('http://api.test/', 'my key', 'tok', { subdomain: 'acme' })).to.equal('http://api.test/oauth/connect/my%20key?connect_session_token=tok&params%5Bsubdomain%5D=acme');
    expect(oauthUrl('http://api.test', 'k', 'tok', {}, 'ws-1')).to.equal('http://api.test/oauth/connect/k?connect_session_token=tok&ws_client_id=ws-1');
    expect(formRequest('http://api.test', '/api-auth/api-key/{key}', 'k', 'tok', {}, { apiKey: 's' })).to.deep.equal({ url: 'http://api.test/api-auth/api-key/k?connect_session_token=tok', body: { apiKey: 's' } });
    expect(formRequest('http://api.test/', '/api-auth/basic/{key}', 'my key', 'tok', { dc: 'eu' }, { username: 'u', password: 'p' })).to.deep.equal({
      url: 'http://api.test/api-auth/basic/my%20key?connect_session_token=tok&params%5Bdc%5D=eu',
      body: { username: 'u', password: 'p' },
    });
    expect(formRequest('http://api.test', '/auth/two-step/{key}', 'a/b', 'tok', {}, { privateKey: '-----BEGIN\nX\n-----END' })).to.deep.equal({
      url: 'http://api.test/auth/two-step/a%2Fb?connect_session_token=tok',
      body: { privateKey: '-----BEGIN\nX\n-----END' },
    });
    expect(connectStyleOf(present('open', { display_name: 'Open', auth_mode: 'NONE' }))).to.deep.equal({ kind: 'form', route: '/auth/unauthenticated/{key}', credentials: {}, sections: {} });
    expect(formRequest('http://api.test', '/auth/unauthenticated/{key}', 'k', 'tok')).to.deep.equal({ url: 'http://api.test/auth/unauthenticated/k?connect_session_token=tok', body: {} });
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
