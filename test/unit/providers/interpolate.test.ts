import { expect } from 'chai';
import { ConnectionConfigError, CustodianError } from '../../../src/errors';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { interpolateHeader, interpolateHeaders, interpolateParam, interpolateUrl } from '../../../providers/interpolate';
import { thrownBy } from './fixtures';

type Fields = NonNullable<ProviderEntry['connection_config']>;

function field(pattern?: string, optional?: boolean): Fields[string] {
  return { type: 'string', title: 't', description: 'd', ...(pattern === undefined ? {} : { pattern }), ...(optional === undefined ? {} : { optional }) };
}

const zendesk = { connection_config: { subdomain: field('^[a-z0-9][a-z0-9-]*$') } };
// A field whose own pattern accepts anything: the host rule must hold on its own.
const permissive = { connection_config: { subdomain: field('^.*$') } };
const noFields = { connection_config: undefined };

function expectConfigError(error: unknown, code: 'missing_connection_config' | 'invalid_connection_config', path: string[]): ConnectionConfigError {
  expect(error).to.be.instanceOf(ConnectionConfigError);
  const configError = error as ConnectionConfigError;
  expect(configError.code).to.equal(code);
  expect(configError.status).to.equal(400);
  expect(configError.errors?.[0]?.path).to.deep.equal(path);
  return configError;
}

describe('interpolateUrl', () => {
  const template = 'https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens';

  it('inserts a valid subdomain into the host', () => {
    expect(interpolateUrl(template, { entry: zendesk, connectionConfig: { subdomain: 'acme-eu' } })).to.equal('https://acme-eu.zendesk.com/oauth/tokens');
  });

  it('reports a missing value as missing_connection_config, naming the field', () => {
    const error = expectConfigError(thrownBy(() => interpolateUrl(template, { entry: zendesk, connectionConfig: {} })), 'missing_connection_config', ['connection_config', 'subdomain']);
    expect(error.message).to.equal('Missing value for connectionConfig.subdomain');
  });

  it('treats an empty string as missing', () => {
    expectConfigError(thrownBy(() => interpolateUrl(template, { entry: zendesk, connectionConfig: { subdomain: '' } })), 'missing_connection_config', ['connection_config', 'subdomain']);
  });

  it("enforces the field's own pattern", () => {
    expectConfigError(thrownBy(() => interpolateUrl(template, { entry: zendesk, connectionConfig: { subdomain: 'ACME' } })), 'invalid_connection_config', ['connection_config', 'subdomain']);
  });

  const injections = ['evil.com/x?', 'evil.com/x', 'a@b', 'a/b', 'a#b', 'a?b', 'a:1', 'a b', 'a\\b', 'evil\u3002com', 'evil\uff0ecom', '.', 'a..b', '%2e', 'a\r\nb'];
  for (const value of injections) {
    it(`refuses ${JSON.stringify(value)} in the host even when the field's pattern allows anything`, () => {
      const error = expectConfigError(
        thrownBy(() => interpolateUrl(template, { entry: permissive, connectionConfig: { subdomain: value } })),
        'invalid_connection_config',
        ['connection_config', 'subdomain'],
      );
      // Messages name the field and the rule, never the value.
      if (value.length > 2) expect(error.message).to.not.include(value);
    });
  }

  it('applies the default pattern ^[A-Za-z0-9._-]+$ to a field without one', () => {
    const url = 'https://api.example.com/accounts/${connectionConfig.account}/items';
    expect(interpolateUrl(url, { entry: noFields, connectionConfig: { account: 'acct_1.x-y' } })).to.equal('https://api.example.com/accounts/acct_1.x-y/items');
    for (const value of ['a/b', 'a?b', 'a b', 'é']) {
      expectConfigError(thrownBy(() => interpolateUrl(url, { entry: noFields, connectionConfig: { account: value } })), 'invalid_connection_config', ['connection_config', 'account']);
    }
  });

  it('refuses "." and ".." as a path segment', () => {
    const url = 'https://api.example.com/accounts/${connectionConfig.account}/items';
    expectConfigError(thrownBy(() => interpolateUrl(url, { entry: noFields, connectionConfig: { account: '..' } })), 'invalid_connection_config', ['connection_config', 'account']);
  });

  it('encodes a value allowed by its pattern in the query', () => {
    const entry = { connection_config: { filter: field('^[a-z &=]+$') } };
    expect(interpolateUrl('https://api.example.com/x?f=${connectionConfig.filter}', { entry, connectionConfig: { filter: 'a b&c=d' } })).to.equal('https://api.example.com/x?f=a%20b%26c%3Dd');
  });

  it('accepts only a port number after the host', () => {
    const url = 'https://${connectionConfig.host}.example.com:${connectionConfig.port}/api';
    expect(interpolateUrl(url, { entry: noFields, connectionConfig: { host: 'acme', port: 8443 } })).to.equal('https://acme.example.com:8443/api');
    expectConfigError(thrownBy(() => interpolateUrl(url, { entry: noFields, connectionConfig: { host: 'acme', port: '80@evil.com' } })), 'invalid_connection_config', ['connection_config', 'port']);
  });

  describe('a placeholder standing for a whole base URL', () => {
    const salesforce = { connection_config: { instance_url: field('^https://(?:[a-zA-Z0-9-]+\\.)+salesforce\\.com$') } };
    const nango = { connection_config: { instance_url: field('^https?://.*$') } };

    it('inserts an https base URL without its trailing slash', () => {
      expect(interpolateUrl('${connectionConfig.instance_url}/services/data', { entry: salesforce, connectionConfig: { instance_url: 'https://acme.my.salesforce.com/' } })).to.equal(
        'https://acme.my.salesforce.com/services/data',
      );
    });

    it('refuses query, fragment, user info, plain http and other hosts even under a loose pattern', () => {
      for (const value of ['https://evil.com/x?', 'https://evil.com#a', 'https://acme.salesforce.com@evil.com', 'http://acme.my.salesforce.com', 'https://evil.com/../x', 'javascript:alert(1)']) {
        expectConfigError(thrownBy(() => interpolateUrl('${connectionConfig.instance_url}/api', { entry: nango, connectionConfig: { instance_url: value } })), 'invalid_connection_config', ['connection_config', 'instance_url']);
      }
      expectConfigError(
        thrownBy(() => interpolateUrl('${connectionConfig.instance_url}/api', { entry: salesforce, connectionConfig: { instance_url: 'https://evil.com' } })),
        'invalid_connection_config',
        ['connection_config', 'instance_url'],
      );
    });
  });

  describe('A || B fallback', () => {
    const salesforce = 'https://${connectionConfig.hostname}/services/oauth2/token || https://login.salesforce.com/services/oauth2/token';
    const entry = { connection_config: { hostname: field('^(?:[a-zA-Z0-9-]+\\.)+salesforce\\.com$', true) } };

    it('uses A when its placeholder has a value', () => {
      expect(interpolateUrl(salesforce, { entry, connectionConfig: { hostname: 'acme.my.salesforce.com' } })).to.equal('https://acme.my.salesforce.com/services/oauth2/token');
    });

    it('uses B when A lacks a value', () => {
      expect(interpolateUrl(salesforce, { entry, connectionConfig: {} })).to.equal('https://login.salesforce.com/services/oauth2/token');
    });

    it('uses B when only some of the placeholders of A have values', () => {
      const amazon = 'https://${connectionConfig.subdomain}-${connectionConfig.region}.example.com || https://api-${connectionConfig.region}.example.com';
      expect(interpolateUrl(amazon, { entry: noFields, connectionConfig: { region: 'eu' } })).to.equal('https://api-eu.example.com');
    });

    it('refuses a bad value in A instead of silently falling back to B', () => {
      expectConfigError(thrownBy(() => interpolateUrl(salesforce, { entry, connectionConfig: { hostname: 'evil.com' } })), 'invalid_connection_config', ['connection_config', 'hostname']);
    });

    it('reports every candidate when no alternative can be filled', () => {
      const okta = 'https://${connectionConfig.hostname}/oauth2/v1/token || https://${connectionConfig.subdomain}.okta.com/oauth2/v1/token';
      const error = expectConfigError(thrownBy(() => interpolateUrl(okta, { entry: noFields, connectionConfig: {} })), 'missing_connection_config', ['connection_config', 'hostname']);
      expect(error.message).to.equal('Missing value for one of: connectionConfig.hostname, connectionConfig.subdomain');
    });
  });

  it('never puts a credential into a URL', () => {
    const error = thrownBy(() => interpolateUrl('https://api.example.com/${apiKey}', { entry: noFields, connectionConfig: {} }));
    expect(error).to.be.instanceOf(CustodianError);
    expect((error as CustodianError).code).to.equal('invalid_template');
  });
});

describe('interpolateHeader', () => {
  it('fills ${apiKey}, ${credentials.x} and ${connectionConfig.x}', () => {
    const input = { entry: noFields, credentials: { apiKey: 'sk-123', username: 'bob' }, connectionConfig: { version: '2024-01-01' } };
    expect(interpolateHeader('Bearer ${apiKey}', input)).to.equal('Bearer sk-123');
    expect(interpolateHeader('${credentials.username}', input)).to.equal('bob');
    expect(interpolateHeader('${connectionConfig.version} || 2023-06-01', input)).to.equal('2024-01-01');
    expect(interpolateHeader('${connectionConfig.version} || 2023-06-01', { entry: noFields })).to.equal('2023-06-01');
  });

  it('refuses a credential with a line break without echoing it', () => {
    const secret = 'sk-live-SECRET\r\nX-Injected: 1';
    const error = expectConfigError(thrownBy(() => interpolateHeader('Bearer ${apiKey}', { entry: noFields, credentials: { apiKey: secret } })), 'invalid_connection_config', ['credentials', 'apiKey']);
    expect(error.message).to.not.include('SECRET');
  });

  it('reports a missing credential as missing_connection_config', () => {
    expectConfigError(thrownBy(() => interpolateHeader('Bearer ${apiKey}', { entry: noFields, credentials: {} })), 'missing_connection_config', ['credentials', 'apiKey']);
  });

  it('leaves out a header whose only missing values are optional fields', () => {
    const entry = { connection_config: { account: field('^acct_[A-Za-z0-9]+$', true) } };
    const headers = { authorization: 'Bearer ${apiKey}', 'stripe-account': '${connectionConfig.account}' };
    expect(interpolateHeaders(headers, { entry, credentials: { apiKey: 'k' } })).to.deep.equal({ authorization: 'Bearer k' });
    expect(interpolateHeaders(headers, { entry, credentials: { apiKey: 'k' }, connectionConfig: { account: 'acct_1' } })).to.deep.equal({
      authorization: 'Bearer k',
      'stripe-account': 'acct_1',
    });
  });
});

describe('interpolateParam', () => {
  it('fills connection config and checks it against the pattern', () => {
    const entry = { connection_config: { audience: field('^[a-z.]+$') } };
    expect(interpolateParam('${connectionConfig.audience}', { entry, connectionConfig: { audience: 'api.acme.com' } })).to.equal('api.acme.com');
    expectConfigError(thrownBy(() => interpolateParam('${connectionConfig.audience}', { entry, connectionConfig: { audience: 'x&y' } })), 'invalid_connection_config', ['connection_config', 'audience']);
  });
});
