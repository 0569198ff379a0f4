import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oauth1AuthorizationHeader } from '../../../../providers/auth-modes/oauth1-signing';
import { exchangeVerifier, getRequestToken, type RequestToken } from '../../../../providers/auth-modes/oauth1-token-request';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { fakeOAuth1Entry, startFakeProvider, type FakeProvider } from '../../../support/fake-provider';

const CALLBACK = 'http://127.0.0.1:9/oauth/callback?state=0b6f3c1e-1111-4222-8333-444455556666';

describe('OAuth 1.0a token requests against the fake provider', () => {
  let provider: FakeProvider;

  before(async () => {
    provider = await startFakeProvider();
  });
  afterEach(() => provider.reset());
  after(() => provider.close());

  const entryFor = (overrides: Record<string, unknown> = {}): ProviderEntry => nangoEntrySchema.parse(fakeOAuth1Entry(provider, overrides)) as ProviderEntry;
  const consumer = () => ({ consumerKey: provider.knobs.clientId, consumerSecret: provider.knobs.clientSecret, timeoutMs: 10_000 });

  /** The user approves at the provider; returns where the browser is sent back. */
  async function authorize(requestToken: string): Promise<URL> {
    const response = await fetch(`${provider.url}/oauth1/authorize?oauth_token=${encodeURIComponent(requestToken)}`, { redirect: 'manual' });
    expect(response.status).to.equal(302);
    return new URL(response.headers.get('location')!);
  }

  async function requestToken(entry = entryFor()): Promise<RequestToken> {
    return getRequestToken({ entry, ...consumer(), callbackUrl: CALLBACK, connectionConfig: {} });
  }

  async function caught(promise: Promise<unknown>): Promise<ProviderCallError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ProviderCallError);
    return error as ProviderCallError;
  }

  function expectNoSecretIn(message: string): void {
    for (const secret of [...provider.issued.oauth1, provider.knobs.clientSecret]) expect(message).to.not.include(secret);
  }

  it('gets a request token with a consumer-signed call carrying oauth_callback; the callback keeps its state', async () => {
    const token = await requestToken();
    expect(provider.issued.oauth1).to.deep.equal([token.token, token.tokenSecret]);
    const call = provider.calls.at(-1)!;
    expect(call).to.include({ method: 'POST', path: '/oauth1/request_token', status: 200, oauth1: 'valid' });

    const back = await authorize(token.token);
    expect(`${back.origin}${back.pathname}`).to.equal('http://127.0.0.1:9/oauth/callback');
    expect([...back.searchParams.keys()]).to.deep.equal(['state', 'oauth_token', 'oauth_verifier']);
    expect(back.searchParams.get('state')).to.equal('0b6f3c1e-1111-4222-8333-444455556666');
    expect(back.searchParams.get('oauth_token')).to.equal(token.token);
  });

  it('exchanges the verifier for an access token that signs requests /verify accepts', async () => {
    const token = await requestToken();
    const verifier = (await authorize(token.token)).searchParams.get('oauth_verifier')!;
    const tokens = await exchangeVerifier({ entry: entryFor(), ...consumer(), requestToken: token.token, requestTokenSecret: token.tokenSecret, verifier });
    expect(provider.calls.at(-1)).to.include({ path: '/oauth1/access_token', status: 200, oauth1: 'valid' });
    expect(provider.knobs.oauth1Tokens).to.deep.equal([{ token: tokens.oauthToken, tokenSecret: tokens.oauthTokenSecret }]);
    expect(tokens.raw).to.deep.equal({ oauth_token: tokens.oauthToken, oauth_token_secret: tokens.oauthTokenSecret, user_id: 'fake-user-1' });

    const url = `${provider.url}/verify`;
    const authorization = oauth1AuthorizationHeader({ method: 'GET', url, ...consumer(), token: tokens.oauthToken, tokenSecret: tokens.oauthTokenSecret });
    expect((await fetch(url, { headers: { authorization } })).status).to.equal(200);
  });

  it('signs with PLAINTEXT when the entry names it', async () => {
    const entry = entryFor({ signature_method: 'PLAINTEXT' });
    const token = await requestToken(entry);
    const verifier = (await authorize(token.token)).searchParams.get('oauth_verifier')!;
    await exchangeVerifier({ entry, ...consumer(), requestToken: token.token, requestTokenSecret: token.tokenSecret, verifier });
    expect(provider.calls.filter((c) => c.method === 'POST').map((c) => [c.path, c.oauth1])).to.deep.equal([
      ['/oauth1/request_token', 'valid'],
      ['/oauth1/access_token', 'valid'],
    ]);
  });

  it('a wrong verifier is a permanent invalid_grant, and the request token is spent', async () => {
    const token = await requestToken();
    const verifier = (await authorize(token.token)).searchParams.get('oauth_verifier')!;
    const input = { entry: entryFor(), ...consumer(), requestToken: token.token, requestTokenSecret: token.tokenSecret };
    const error = await caught(exchangeVerifier({ ...input, verifier: `${verifier}x` }));
    expect(error).to.include({ code: 'invalid_grant', kind: 'permanent', httpStatus: 401 });
    expect(error.message).to.equal(`The token endpoint of Fake OAuth 1.0a (${provider.url}/oauth1/access_token) answered 401 (verifier_invalid)`);
    expectNoSecretIn(error.message);
    const again = await caught(exchangeVerifier({ ...input, verifier }));
    expect(again).to.include({ code: 'invalid_grant', kind: 'permanent' });
    expect(provider.knobs.oauth1Tokens).to.deep.equal([]);
  });

  it('a consumer the provider refuses is a permanent invalid_client', async () => {
    const error = await caught(getRequestToken({ entry: entryFor(), consumerKey: provider.knobs.clientId, consumerSecret: 'not-the-secret', timeoutMs: 10_000, callbackUrl: CALLBACK, connectionConfig: {} }));
    expect(error).to.include({ code: 'invalid_client', kind: 'permanent', httpStatus: 401 });
    expect(error.message).to.equal(`The request token endpoint of Fake OAuth 1.0a (${provider.url}/oauth1/request_token) answered 401 (signature_invalid)`);
    expect(error.message).to.not.include('not-the-secret');
  });

  it('a 503 is transient (with Retry-After), for the request token and for the exchange', async () => {
    provider.failNext(1, { status: 503, retryAfterSeconds: 7 });
    const first = await caught(requestToken());
    expect(first).to.include({ code: 'provider_server_error', kind: 'transient', httpStatus: 503, retryAfterMs: 7000 });

    const token = await requestToken();
    const verifier = (await authorize(token.token)).searchParams.get('oauth_verifier')!;
    provider.failNext(1, { status: 503 });
    const input = { entry: entryFor(), ...consumer(), requestToken: token.token, requestTokenSecret: token.tokenSecret, verifier };
    const error = await caught(exchangeVerifier(input));
    expect(error).to.include({ code: 'provider_server_error', kind: 'transient', httpStatus: 503 });
    expectNoSecretIn(error.message);
    // The fault never reached the exchange: the request token is still good.
    expect((await exchangeVerifier(input)).oauthToken).to.be.a('string');
  });

  it('an unreachable provider is transient', async () => {
    const closed = await startFakeProvider();
    const entry = nangoEntrySchema.parse(fakeOAuth1Entry(closed)) as ProviderEntry;
    await closed.close();
    const error = await caught(getRequestToken({ entry, ...consumer(), callbackUrl: CALLBACK, connectionConfig: {} }));
    expect(error).to.include({ code: 'provider_unreachable', kind: 'transient' });
  });

  it('a 2xx without the token pair is a transient malformed response', async () => {
    provider.failNext(1, { malformed: true });
    const error = await caught(requestToken());
    expect(error).to.include({ code: 'provider_malformed_response', kind: 'transient', httpStatus: 200 });
  });

  it('a redirect from an OAuth 1.0a token endpoint is an answer, never followed to where its Location points', async () => {
    // Where the redirect points: a server that would hand out a token pair to anyone who asks.
    let followed = 0;
    const target = createServer((_req, res) => {
      followed++;
      res.setHeader('content-type', 'application/x-www-form-urlencoded');
      res.end('oauth_token=stolen&oauth_token_secret=stolen-secret&oauth_callback_confirmed=true');
    });
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/anything` });
      res.end();
    });
    await Promise.all([target, redirector].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    try {
      const entry = entryFor({ request_url: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/oauth1/request_token` });
      const error = await caught(getRequestToken({ entry, ...consumer(), callbackUrl: CALLBACK, connectionConfig: {} }));
      expect(error).to.include({ code: 'provider_rejected', kind: 'permanent', httpStatus: 307 });
      expect(followed).to.equal(0);
    } finally {
      await Promise.all([target, redirector].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
