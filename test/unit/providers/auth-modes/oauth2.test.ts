import { expect } from 'chai';
import { CustodianError } from '../../../../src/errors';
import { authorizationCodeUrl, requiresPkce, type AuthorizationCodeUrlInput as OAuth2AuthorizationInput } from '../../../../providers/auth-modes/oauth2';
import { loadCatalog } from '../../../../providers/load-catalog';
import { thrownBy } from '../fixtures';

const catalog = loadCatalog();
const oauth2 = { buildAuthorizationUrl: (input: OAuth2AuthorizationInput) => authorizationCodeUrl(input), requiresPkce };

function entry(name: string) {
  const found = catalog.get(name);
  if (!found) throw new Error(`no ${name} in the catalog`);
  return found;
}

function input(name: string, overrides: Partial<OAuth2AuthorizationInput> = {}): OAuth2AuthorizationInput {
  return {
    entry: entry(name),
    clientId: 'client-123',
    redirectUri: 'https://custodian.example.com/oauth/callback',
    scopes: [],
    state: 'attempt-1',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    connectionConfig: {},
    ...overrides,
  };
}

function query(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe('OAuth 2.0 strategy: buildAuthorizationUrl', () => {
  it('sends the code flow parameters, the scopes joined with a space and a PKCE S256 challenge', () => {
    const url = oauth2.buildAuthorizationUrl(input('gitlab', { scopes: ['read_user', 'api'] }));
    expect(url.startsWith('https://gitlab.com/oauth/authorize?')).to.equal(true);
    expect(query(url)).to.deep.equal({
      response_type: 'code',
      client_id: 'client-123',
      redirect_uri: 'https://custodian.example.com/oauth/callback',
      scope: 'read_user api',
      state: 'attempt-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    // Spaces are sent as %20: some providers do not decode "+" in scope.
    expect(url).to.include('scope=read_user%20api');
  });

  it("joins scopes with the entry's scope_separator and sends Slack's user_scope the same way", () => {
    const params = query(oauth2.buildAuthorizationUrl(input('slack', { scopes: ['chat:write', 'users:read'], userScope: ['search:read', 'stars:read'] })));
    expect(params['scope']).to.equal('chat:write,users:read');
    expect(params['user_scope']).to.equal('search:read,stars:read');
  });

  it('sends no PKCE parameters when the entry disables PKCE', () => {
    expect(oauth2.requiresPkce(entry('slack'))).to.equal(false);
    const params = query(oauth2.buildAuthorizationUrl(input('slack', { codeChallenge: undefined })));
    expect(params).to.not.have.property('code_challenge');
    expect(params).to.not.have.property('code_challenge_method');
  });

  it('refuses to build a PKCE request without a challenge', () => {
    expect(oauth2.requiresPkce(entry('gitlab'))).to.equal(true);
    const error = thrownBy(() => oauth2.buildAuthorizationUrl(input('gitlab', { codeChallenge: undefined })));
    expect(error).to.be.instanceOf(CustodianError);
    expect((error as CustodianError).code).to.equal('missing_code_challenge');
  });

  it('omits scope when there are no scopes', () => {
    expect(query(oauth2.buildAuthorizationUrl(input('github')))).to.not.have.property('scope');
  });

  it("merges the catalog's authorization_params with the caller's, the caller winning", () => {
    const params = query(oauth2.buildAuthorizationUrl(input('google-calendar', { authorizationParams: { prompt: 'select_account', login_hint: 'a@b.example' } })));
    expect(params['access_type']).to.equal('offline');
    expect(params['prompt']).to.equal('select_account');
    expect(params['login_hint']).to.equal('a@b.example');
  });

  it('does not let caller parameters replace the state, redirect, client, response type or PKCE parameters', () => {
    const authorizationParams = {
      state: 'forged',
      redirect_uri: 'https://evil.example/cb',
      client_id: 'other',
      response_type: 'token',
      code_challenge: 'x',
      code_challenge_method: 'plain',
    };
    const params = query(oauth2.buildAuthorizationUrl(input('gitlab', { authorizationParams })));
    expect(params).to.include({
      state: 'attempt-1',
      redirect_uri: 'https://custodian.example.com/oauth/callback',
      client_id: 'client-123',
      response_type: 'code',
      code_challenge_method: 'S256',
    });
  });

  it('puts the subdomain into the authorization host (Zendesk)', () => {
    const url = oauth2.buildAuthorizationUrl(input('zendesk', { connectionConfig: { subdomain: 'acme' } }));
    expect(url.startsWith('https://acme.zendesk.com/oauth/authorizations/new?')).to.equal(true);
  });

  it('refuses a subdomain that would move the authorization to another host (Shopify)', () => {
    const error = thrownBy(() => oauth2.buildAuthorizationUrl(input('shopify', { connectionConfig: { subdomain: 'evil.com/x?' } })));
    expect(error).to.have.property('code', 'invalid_connection_config');
  });

  it('uses the Salesforce My Domain host when given, else login.salesforce.com', () => {
    const custom = oauth2.buildAuthorizationUrl(input('salesforce', { connectionConfig: { hostname: 'acme.my.salesforce.com' } }));
    const standard = oauth2.buildAuthorizationUrl(input('salesforce'));
    expect(custom.startsWith('https://acme.my.salesforce.com/services/oauth2/authorize?')).to.equal(true);
    expect(standard.startsWith('https://login.salesforce.com/services/oauth2/authorize?')).to.equal(true);
  });

  it('uses the Microsoft tenant when given, else "common"', () => {
    expect(oauth2.buildAuthorizationUrl(input('microsoft', { connectionConfig: { tenant: 'contoso.onmicrosoft.com' } }))).to.match(
      /^https:\/\/login\.microsoftonline\.com\/contoso\.onmicrosoft\.com\/oauth2\/v2\.0\/authorize\?/,
    );
    expect(oauth2.buildAuthorizationUrl(input('microsoft'))).to.match(/^https:\/\/login\.microsoftonline\.com\/common\/oauth2\/v2\.0\/authorize\?/);
  });

  it('reports a missing subdomain as missing_connection_config', () => {
    const error = thrownBy(() => oauth2.buildAuthorizationUrl(input('zendesk')));
    expect(error).to.have.property('code', 'missing_connection_config');
  });
});
