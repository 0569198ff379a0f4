import { expect } from 'chai';
import { oauth1AuthorizationUrl } from '../../../../providers/auth-modes/oauth1';
import { loadCatalog } from '../../../../providers/load-catalog';

const catalog = loadCatalog();

describe('OAuth 1.0a strategy: buildAuthorizationUrl', () => {
  it("sends the request token, Trello's comma-separated scopes and its catalog parameters", () => {
    const url = oauth1AuthorizationUrl({
      entry: catalog.get('trello')!,
      requestToken: 'request-token-1',
      scopes: ['read', 'write'],
      connectionConfig: {},
      authorizationParams: { name: 'Acme Sync' },
    });
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).to.equal('https://trello.com/1/OAuthAuthorizeToken');
    expect(Object.fromEntries(parsed.searchParams)).to.deep.equal({ oauth_token: 'request-token-1', scope: 'read,write', expiration: 'never', name: 'Acme Sync' });
  });

  it('does not let caller parameters replace the request token (X / Twitter)', () => {
    const url = oauth1AuthorizationUrl({
      entry: catalog.get('twitter')!,
      requestToken: 'request-token-2',
      connectionConfig: {},
      authorizationParams: { oauth_token: 'forged' },
    });
    expect(url).to.equal('https://api.twitter.com/oauth/authorize?oauth_token=request-token-2');
  });
});
