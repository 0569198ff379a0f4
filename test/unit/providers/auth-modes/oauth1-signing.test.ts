import { expect } from 'chai';
import { oauth1AuthorizationHeader, type OAuth1SigningInput } from '../../../../providers/auth-modes/oauth1-signing';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { oauth1 } from '../../../../providers/auth-modes/oauth1';
import type { OAuth1Credentials } from '../../../../src/connections/credentials';
import { CustodianError } from '../../../../src/errors';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { thrownBy } from '../fixtures';

/** The parameters of an `OAuth k="v", …` header, percent-decoded. */
function headerParams(header: string): Record<string, string> {
  expect(header).to.match(/^OAuth /);
  return Object.fromEntries([...header.slice('OAuth '.length).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, decodeURIComponent(m[2]!)]));
}

// RFC 5849 §1.2's example request (its oauth_version-less signature is MdpQcU8iPSUjWoN/UDMsK2sui9I=).
const RFC_EXAMPLE: OAuth1SigningInput = {
  method: 'GET',
  url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
  consumerKey: 'dpf43f3p2l4k3l03',
  consumerSecret: 'kd94hf93k423kf44',
  token: 'nnch734d00sl2jdk',
  tokenSecret: 'pfkkdhi9sl3r4s00',
  nonce: 'chapoH',
  timestamp: 137131202,
};

describe('oauth1AuthorizationHeader', () => {
  it('carries every oauth_* parameter of RFC 5849 §3.5.1, version 1.0, a fresh nonce and the current time', () => {
    const before = Math.floor(Date.now() / 1000);
    const header = oauth1AuthorizationHeader({ method: 'GET', url: 'https://api.example.com/me', consumerKey: 'ck', consumerSecret: 'cs', token: 'tok', tokenSecret: 'ts' });
    const params = headerParams(header);
    expect(Object.keys(params).sort()).to.deep.equal(['oauth_consumer_key', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_token', 'oauth_version']);
    expect(params).to.include({ oauth_consumer_key: 'ck', oauth_token: 'tok', oauth_signature_method: 'HMAC-SHA1', oauth_version: '1.0' });
    expect(Number(params.oauth_timestamp)).to.be.within(before, Math.floor(Date.now() / 1000));
    expect(params.oauth_nonce).to.match(/^[A-Za-z0-9]{16,}$/);
    expect(Buffer.from(params.oauth_signature!, 'base64')).to.have.length(20); // a SHA-1 HMAC
    expect(headerParams(oauth1AuthorizationHeader({ method: 'GET', url: 'https://api.example.com/me', consumerKey: 'ck', consumerSecret: 'cs', token: 'tok', tokenSecret: 'ts' })).oauth_nonce).to.not.equal(params.oauth_nonce);
  });

  it('matches an independently computed HMAC-SHA1 signature of the RFC 5849 example, query parameters included', () => {
    // Computed with Python's hmac over the §3.4.1 base string of the example plus oauth_version=1.0.
    expect(headerParams(oauth1AuthorizationHeader(RFC_EXAMPLE)).oauth_signature).to.equal('1IAE9RzK+DqSqVTdQ/0zWANXVzs=');
    const other = headerParams(oauth1AuthorizationHeader({ ...RFC_EXAMPLE, url: 'http://photos.example.net/photos?file=vacation.jpg&size=small' }));
    expect(other.oauth_signature, 'the query is signed').to.not.equal('1IAE9RzK+DqSqVTdQ/0zWANXVzs=');
  });

  it('normalises the base URI: case of scheme and host, default port, parameter order and the fragment do not change the signature', () => {
    const variant = oauth1AuthorizationHeader({ ...RFC_EXAMPLE, method: 'get', url: 'HTTP://Photos.Example.NET:80/photos?size=original&file=vacation.jpg#top' });
    expect(headerParams(variant).oauth_signature).to.equal('1IAE9RzK+DqSqVTdQ/0zWANXVzs=');
  });

  it('PLAINTEXT signs with the encoded consumer and token secrets', () => {
    const params = headerParams(oauth1AuthorizationHeader({ ...RFC_EXAMPLE, consumerSecret: 'c s', tokenSecret: 't&s', signatureMethod: 'PLAINTEXT' }));
    expect(params).to.include({ oauth_signature_method: 'PLAINTEXT', oauth_signature: 'c%20s&t%26s' });
  });

  it('refuses RSA-SHA1 with unsupported_signature_method', () => {
    const error = thrownBy(() => oauth1AuthorizationHeader({ ...RFC_EXAMPLE, signatureMethod: 'RSA-SHA1' }));
    expect(error).to.be.instanceOf(CustodianError);
    expect(error).to.include({ code: 'unsupported_signature_method' });
    expect((error as Error).message).to.match(/RSA-SHA1.*not supported/);
  });

  describe('against the fake provider', () => {
    let provider: FakeProvider;
    const token = { token: 'oauth1-token-abc', tokenSecret: 'oauth1-secret-xyz' };

    before(async () => {
      provider = await startFakeProvider({ oauth1Tokens: [token] });
    });
    after(async () => {
      await provider.close();
    });

    async function verify(url: string, tokenSecret: string, signatureMethod?: 'HMAC-SHA1' | 'PLAINTEXT'): Promise<number> {
      const authorization = oauth1AuthorizationHeader({
        method: 'GET',
        url,
        consumerKey: provider.knobs.clientId,
        consumerSecret: provider.knobs.clientSecret,
        token: token.token,
        tokenSecret,
        signatureMethod,
      });
      return (await fetch(url, { headers: { authorization } })).status;
    }

    it('a request it signs is accepted by /verify, query parameters included', async () => {
      expect(await verify(`${provider.url}/verify`, token.tokenSecret)).to.equal(200);
      expect(await verify(`${provider.url}/verify?fields=id,name&q=a+b%20c&q=%7E`, token.tokenSecret)).to.equal(200);
      expect(await verify(`${provider.url}/verify`, token.tokenSecret, 'PLAINTEXT')).to.equal(200);
      expect(provider.calls.slice(-3).map((c) => c.oauth1)).to.deep.equal(['valid', 'valid', 'valid']);
    });

    it('a wrong token secret is answered 401', async () => {
      expect(await verify(`${provider.url}/verify`, 'not-the-secret')).to.equal(401);
      expect(provider.calls.at(-1)?.oauth1).to.equal('bad_signature');
    });
  });
});

describe('the OAUTH1 strategy: renew (verification)', () => {
  let provider: FakeProvider;
  const token = { token: 'renew-token-123', tokenSecret: 'renew-secret-456' };
  const credentials: OAuth1Credentials = { type: 'OAUTH1', oauth_token: token.token, oauth_token_secret: token.tokenSecret, raw: {} };

  function entry(overrides: Record<string, unknown> = {}): ProviderEntry {
    return nangoEntrySchema.parse(
      fakeProviderEntry(provider, {
        auth_mode: 'OAUTH1',
        request_url: `${provider.url}/oauth1/request_token`,
        authorization_url: `${provider.url}/oauth1/authorize`,
        token_url: `${provider.url}/oauth1/access_token`,
        signature_method: 'HMAC-SHA1',
        ...overrides,
      }),
    );
  }

  function renew(overrides: Record<string, unknown> = {}, clientSecret: string | null = provider.knobs.clientSecret) {
    return oauth1.renew({ entry: entry(overrides), credentials, connectionConfig: {}, client: { clientId: provider.knobs.clientId, clientSecret, scopes: [], custom: {} } }, { now: new Date(), timeoutMs: 10_000 });
  }

  before(async () => {
    provider = await startFakeProvider({ oauth1Tokens: [token] });
  });
  after(async () => {
    await provider.close();
  });

  it('is verified when the entry declares a verification endpoint, unless its signature method cannot be signed', () => {
    expect(oauth1.upkeep(entry(), credentials).kind).to.equal('verify');
    expect(oauth1.upkeep(entry({ signature_method: undefined }), credentials).kind).to.equal('verify');
    expect(oauth1.upkeep(entry({ signature_method: 'RSA-SHA1' }), credentials).kind).to.equal('none');
    expect(oauth1.upkeep(entry({ proxy: { base_url: provider.url } }), credentials).kind).to.equal('none');
  });

  it('sends a signed verification request: valid token → verified; removed token → permanent credentials_rejected', async () => {
    expect(await renew()).to.deep.equal({ kind: 'verified' });
    expect(provider.calls.at(-1)).to.include({ path: '/verify', status: 200, oauth1: 'valid' });
    provider.knobs.oauth1Tokens = [];
    const error = await renew().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect(provider.calls.at(-1)).to.include({ status: 401, oauth1: 'unknown_token' });
    provider.knobs.oauth1Tokens = [token];
  });

  it('a declared authorization header replaces the signed one', async () => {
    provider.knobs.apiKeys = [token.token];
    const result = await renew({ proxy: { base_url: provider.url, headers: { Authorization: 'Bearer ${credentials.oauth_token}' }, verification: { method: 'GET', endpoints: ['/verify'] } } });
    expect(result).to.deep.equal({ kind: 'verified' });
    expect(provider.calls.at(-1)).to.include({ status: 200 }).and.not.have.property('oauth1');
    provider.knobs.apiKeys = [];
  });

  it('without the integration client secret the check fails permanently', async () => {
    const error = await renew({}, null).catch((e: unknown) => e);
    expect(error).to.include({ code: 'integration_missing_client', kind: 'permanent' });
  });
});
