import { expect } from 'chai';
import { apiKeyVerificationRequest } from '../../../../providers/auth-modes/api-key';
import { basicVerificationRequest } from '../../../../providers/auth-modes/basic';
import { nangoEntrySchema } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { thrownBy } from '../fixtures';

const catalog = loadCatalog();
const apiKey = { buildVerificationRequest: apiKeyVerificationRequest };
const basic = { buildVerificationRequest: basicVerificationRequest };

describe('API_KEY strategy: buildVerificationRequest', () => {
  it('builds the OpenAI request from base_url, the first endpoint and the key header', () => {
    const request = apiKey.buildVerificationRequest({ entry: catalog.get('openai')!, credentials: { apiKey: 'sk-test-123' }, connectionConfig: {} });
    expect(request).to.deep.equal({ method: 'GET', url: 'https://api.openai.com/v1/models', headers: { authorization: 'Bearer sk-test-123' } });
  });

  it("sends Anthropic's key and fixed version headers", () => {
    const request = apiKey.buildVerificationRequest({ entry: catalog.get('anthropic')!, credentials: { apiKey: 'sk-ant-test' }, connectionConfig: {} });
    expect(request?.url).to.equal('https://api.anthropic.com/v1/models');
    expect(request?.headers).to.deep.equal({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
  });

  it('checks a SendGrid key against its scopes endpoint', () => {
    const request = apiKey.buildVerificationRequest({ entry: catalog.get('sendgrid')!, credentials: { apiKey: 'SG.abc.def' }, connectionConfig: {} });
    expect(request).to.deep.equal({ method: 'GET', url: 'https://api.sendgrid.com/v3/scopes', headers: { authorization: 'Bearer SG.abc.def' } });
  });

  it('returns null when the provider declares no verification', () => {
    expect(apiKey.buildVerificationRequest({ entry: catalog.get('perplexity')!, credentials: { apiKey: 'pplx-1' }, connectionConfig: {} })).to.equal(null);
  });

  it('adds an optional header only when its connection config is given (Stripe connected account)', () => {
    const entry = catalog.get('stripe-api-key')!;
    const without = apiKey.buildVerificationRequest({ entry, credentials: { apiKey: 'rk_test_1' }, connectionConfig: {} });
    const withAccount = apiKey.buildVerificationRequest({ entry, credentials: { apiKey: 'rk_test_1' }, connectionConfig: { account: 'acct_123' } });
    expect(without?.headers).to.deep.equal({ authorization: 'Bearer rk_test_1' });
    expect(withAccount?.headers).to.deep.equal({ authorization: 'Bearer rk_test_1', 'stripe-account': 'acct_123' });
  });

  it('puts the region into the host and refuses one that would change it (Datadog)', () => {
    const entry = catalog.get('datadog')!;
    expect(apiKey.buildVerificationRequest({ entry, credentials: { apiKey: 'k' }, connectionConfig: { site: 'datadoghq.eu' } })?.url).to.equal('https://api.datadoghq.eu/api/v1/validate');
    expect(thrownBy(() => apiKey.buildVerificationRequest({ entry, credentials: { apiKey: 'k' }, connectionConfig: { site: 'evil.com' } }))).to.have.property(
      'code',
      'invalid_connection_config',
    );
  });

  it('reports a missing key as missing_connection_config without building a request', () => {
    const error = thrownBy(() => apiKey.buildVerificationRequest({ entry: catalog.get('openai')!, credentials: {}, connectionConfig: {} }));
    expect(error).to.have.property('code', 'missing_connection_config');
  });
});

describe('BASIC strategy: buildVerificationRequest', () => {
  it('sends HTTP Basic credentials to Twilio', () => {
    const request = basic.buildVerificationRequest({ entry: catalog.get('twilio')!, credentials: { username: 'AC123', password: 'secret' }, connectionConfig: {} });
    expect(request).to.deep.equal({
      method: 'GET',
      url: 'https://api.twilio.com/2010-04-01/Accounts.json',
      headers: { authorization: `Basic ${Buffer.from('AC123:secret').toString('base64')}` },
    });
  });

  it('accepts an empty user name with a password (lemlist)', () => {
    const request = basic.buildVerificationRequest({ entry: catalog.get('lemlist')!, credentials: { username: '', password: 'key-1' }, connectionConfig: {} });
    expect(request?.headers['authorization']).to.equal(`Basic ${Buffer.from(':key-1').toString('base64')}`);
  });

  it('keeps an Authorization header the entry declares instead of adding Basic', () => {
    const entry = nangoEntrySchema.parse({
      display_name: 'Token over basic',
      docs: 'https://example.com/docs',
      auth_mode: 'BASIC',
      proxy: { base_url: 'https://api.example.com', headers: { Authorization: 'Token ${credentials.password}' }, verification: { endpoints: ['me'] } },
    });
    const request = basic.buildVerificationRequest({ entry, credentials: { username: 'u', password: 'p' }, connectionConfig: {} });
    expect(request).to.deep.equal({ method: 'GET', url: 'https://api.example.com/me', headers: { authorization: 'Token p' } });
  });

  it('refuses a user name with a colon and reports missing credentials', () => {
    const entry = catalog.get('twilio')!;
    expect(thrownBy(() => basic.buildVerificationRequest({ entry, credentials: { username: 'a:b', password: 'p' }, connectionConfig: {} }))).to.have.property('code', 'invalid_connection_config');
    expect(thrownBy(() => basic.buildVerificationRequest({ entry, credentials: {}, connectionConfig: {} }))).to.have.property('code', 'missing_connection_config');
  });
});
