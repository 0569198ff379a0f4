import { expect } from 'chai';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { providerEntrySchema } from '../../../providers/catalog-schema';
import { fakeOAuth1Entry, fakeProviderEntry, startFakeProvider, type FakeProvider } from '../../support/fake-provider';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

interface TokenResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

type ClientAuthStyle = 'basic' | 'post';

/** POSTs a grant to `/token`, form-encoded unless `asJson`. */
async function tokenRequest(
  provider: FakeProvider,
  params: Record<string, string>,
  options: { auth?: ClientAuthStyle; secret?: string; asJson?: boolean; signal?: AbortSignal } = {},
): Promise<TokenResult> {
  const { auth = 'post', secret = provider.knobs.clientSecret } = options;
  const headers: Record<string, string> = {};
  const fields = { ...params };
  if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${provider.knobs.clientId}:${secret}`).toString('base64')}`;
  else Object.assign(fields, { client_id: provider.knobs.clientId, client_secret: secret });
  headers['content-type'] = options.asJson ? 'application/json' : 'application/x-www-form-urlencoded';
  const body = options.asJson ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  const response = await fetch(`${provider.url}/token`, { method: 'POST', headers, body, signal: options.signal });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** Runs `/authorize` with a fresh PKCE pair; returns the code and verifier. */
async function authorize(provider: FakeProvider): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: provider.knobs.clientId,
    redirect_uri: REDIRECT_URI,
    state: 'state-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const response = await fetch(`${provider.url}/authorize?${query}`, { redirect: 'manual' });
  expect(response.status).to.equal(302);
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).to.equal(REDIRECT_URI);
  expect(location.searchParams.get('state')).to.equal('state-1');
  return { code: location.searchParams.get('code') ?? '', verifier };
}

async function codeGrant(provider: FakeProvider, code: string, verifier: string): Promise<TokenResult> {
  return tokenRequest(provider, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
}

async function refreshGrant(provider: FakeProvider, refreshToken: string): Promise<TokenResult> {
  return tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function verifyStatus(provider: FakeProvider, headers: Record<string, string>): Promise<number> {
  return (await fetch(`${provider.url}/verify`, { headers })).status;
}

describe('fake OAuth provider', () => {
  let provider: FakeProvider;

  beforeEach(async () => {
    provider = await startFakeProvider();
  });

  afterEach(async () => {
    await provider.close();
  });

  it('serves a mounted route whose :name segments match one segment each, exact paths first', async () => {
    provider.mount('POST', '/app/installations/:id/access_tokens', ({ params }) => ({ status: 201, body: { id: params.id } }));
    provider.mount('POST', '/app/installations/fixed/access_tokens', () => ({ status: 200, body: { exact: true } }));
    const post = (path: string) => fetch(`${provider.url}${path}`, { method: 'POST' });
    const matched = await post('/app/installations/42/access_tokens');
    expect([matched.status, await matched.json()]).to.deep.equal([201, { id: '42' }]);
    const exact = await post('/app/installations/fixed/access_tokens');
    expect([exact.status, await exact.json()]).to.deep.equal([200, { exact: true }]);
    expect((await post('/app/installations/42/extra/access_tokens')).status, 'a segment matches one segment only').to.equal(404);
    expect((await fetch(`${provider.url}/app/installations/42/access_tokens`)).status, 'another method').to.equal(404);
  });

  it('exchanges an authorization code with its PKCE verifier once, and refuses the replayed code', async () => {
    const { code, verifier } = await authorize(provider);
    expect(provider.issued.codes).to.deep.equal([code]);

    const first = await codeGrant(provider, code, verifier);
    expect(first.status).to.equal(200);
    expect(first.body.access_token).to.match(/^fake-at-[0-9a-f]+$/);
    expect(first.body.refresh_token).to.match(/^fake-rt-[0-9a-f]+$/);
    expect(first.body).to.include({ token_type: 'bearer', expires_in: 3600 });
    expect(provider.isAccessTokenValid(String(first.body.access_token))).to.equal(true);

    const replay = await codeGrant(provider, code, verifier);
    expect(replay.status).to.equal(400);
    expect(replay.body).to.deep.equal({ error: 'invalid_grant' });
    expect(provider.tokenCalls('authorization_code').map((call) => call.status)).to.deep.equal([200, 400]);
  });

  it('refuses a code exchanged with the wrong PKCE verifier', async () => {
    const { code } = await authorize(provider);
    const result = await codeGrant(provider, code, randomBytes(32).toString('base64url'));
    expect(result.status).to.equal(400);
    expect(result.body).to.deep.equal({ error: 'invalid_grant' });
  });

  it('rotates refresh tokens: each is single use and a new one is issued', async () => {
    const { code, verifier } = await authorize(provider);
    const initial = String((await codeGrant(provider, code, verifier)).body.refresh_token);

    const refreshed = await refreshGrant(provider, initial);
    expect(refreshed.status).to.equal(200);
    expect(refreshed.body.refresh_token).to.match(/^fake-rt-/).and.not.equal(initial);

    const reused = await refreshGrant(provider, initial);
    expect(reused.status).to.equal(400);
    expect(reused.body).to.deep.equal({ error: 'invalid_grant' });
    expect(provider.tokenCalls('refresh_token').map((call) => call.refreshTokenUsed)).to.deep.equal([initial, initial]);
    expect(provider.issued.refreshTokens).to.have.length(2);
  });

  it('with reuseGraceMs accepts a rotated refresh token again within the grace, minting a new token set, and refuses it after', async () => {
    provider.knobs.reuseGraceMs = 1_000;
    const { code, verifier } = await authorize(provider);
    const initial = String((await codeGrant(provider, code, verifier)).body.refresh_token);
    const rotated = await refreshGrant(provider, initial);
    expect(rotated.status).to.equal(200);

    const reused = await refreshGrant(provider, initial);
    expect(reused.status).to.equal(200);
    expect(reused.body).to.include({ token_type: 'bearer', expires_in: 3600 });
    expect(reused.body.access_token).to.match(/^fake-at-/).and.not.equal(rotated.body.access_token);
    expect(reused.body.refresh_token).to.match(/^fake-rt-/).and.not.be.oneOf([initial, rotated.body.refresh_token]);
    expect(provider.isAccessTokenValid(String(reused.body.access_token))).to.equal(true);
    // The token minted in the grace rotates like any other.
    const next = String(reused.body.refresh_token);
    expect((await refreshGrant(provider, next)).status).to.equal(200);
    expect((await refreshGrant(provider, next)).status).to.equal(200);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const late = await refreshGrant(provider, initial);
    expect(late.status).to.equal(400);
    expect(late.body).to.deep.equal({ error: 'invalid_grant' });
    const calls = provider.tokenCalls('refresh_token');
    expect(calls.map((call) => call.refreshTokenUsed)).to.deep.equal([initial, initial, next, next, initial]);
    expect(calls.map((call) => call.status)).to.deep.equal([200, 200, 200, 200, 400]);
    expect(provider.issued.refreshTokens).to.have.length(5);
  });

  it('revokeAll() also ends the reuse grace of rotated refresh tokens', async () => {
    provider.knobs.reuseGraceMs = 60_000;
    const { code, verifier } = await authorize(provider);
    const initial = String((await codeGrant(provider, code, verifier)).body.refresh_token);
    expect((await refreshGrant(provider, initial)).status).to.equal(200);
    provider.revokeAll();
    const reused = await refreshGrant(provider, initial);
    expect(reused.status).to.equal(400);
    expect(reused.body).to.deep.equal({ error: 'invalid_grant' });
  });

  it('without rotation keeps the refresh token valid and omits refresh_token from refresh responses', async () => {
    provider.knobs.rotateRefreshTokens = false;
    provider.knobs.expiresIn = null;
    const { code, verifier } = await authorize(provider);
    const refreshToken = String((await codeGrant(provider, code, verifier)).body.refresh_token);

    for (let i = 0; i < 2; i++) {
      const result = await refreshGrant(provider, refreshToken);
      expect(result.status).to.equal(200);
      expect(result.body).to.have.property('access_token');
      expect(result.body).not.to.have.any.keys('refresh_token', 'expires_in');
    }
  });

  it('records basic versus post client authentication and answers a wrong secret with 401 invalid_client', async () => {
    const grant = { grant_type: 'client_credentials' };
    expect((await tokenRequest(provider, grant, { auth: 'basic' })).status).to.equal(200);
    expect((await tokenRequest(provider, grant, { auth: 'post' })).status).to.equal(200);
    const wrong = await tokenRequest(provider, grant, { auth: 'basic', secret: 'nope' });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.equal({ error: 'invalid_client' });
    expect(provider.tokenCalls('client_credentials').map((call) => call.clientAuth)).to.deep.equal(['basic', 'post', 'basic']);
  });

  it('accepts a JSON token request body and merges extraTokenFields', async () => {
    provider.knobs.extraTokenFields = { instance_url: 'https://acme.example' };
    const result = await tokenRequest(provider, { grant_type: 'client_credentials', scope: 'read' }, { asJson: true });
    expect(result.status).to.equal(200);
    expect(result.body).to.include({ scope: 'read', instance_url: 'https://acme.example' });
    expect(result.body).not.to.have.property('refresh_token');
    const [call] = provider.tokenCalls();
    expect(call?.contentType).to.equal('application/json');
    expect(call?.body).to.include({ grant_type: 'client_credentials', scope: 'read' });
  });

  it('failNext(1, 503) fails one token call, then succeeds, recording both', async () => {
    provider.failNext(1, { status: 503 });
    const grant = { grant_type: 'client_credentials' };
    expect((await tokenRequest(provider, grant)).status).to.equal(503);
    expect((await tokenRequest(provider, grant)).status).to.equal(200);
    expect(provider.tokenCalls().map((call) => call.status)).to.deep.equal([503, 200]);
  });

  it('answers a 429 fault with Retry-After', async () => {
    provider.failNext(1, { status: 429, retryAfterSeconds: 2 });
    const result = await tokenRequest(provider, { grant_type: 'client_credentials' });
    expect(result.status).to.equal(429);
    expect(result.headers.get('retry-after')).to.equal('2');
  });

  it('delays token answers by latencyMs', async () => {
    provider.knobs.latencyMs = 200;
    const started = performance.now();
    const result = await tokenRequest(provider, { grant_type: 'client_credentials' });
    expect(result.status).to.equal(200);
    expect(performance.now() - started).to.be.at.least(195); // timer granularity
  });

  it('never answers a timeout fault, and close() still returns promptly', async () => {
    provider.failNext(1, { timeout: true });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    let failure: unknown;
    try {
      await tokenRequest(provider, { grant_type: 'client_credentials' }, { signal: controller.signal });
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    expect(failure).to.be.instanceOf(Error).with.property('name', 'AbortError');
    expect(provider.tokenCalls()).to.have.length(1);

    provider.failNext(1, { timeout: true });
    const pending = fetch(`${provider.url}/token`, { method: 'POST' }).catch((error: unknown) => error);
    while (provider.calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = performance.now();
    await provider.close();
    expect(performance.now() - started).to.be.below(1000);
    expect(await pending).to.be.instanceOf(Error);
  });

  it('revokeAll() makes /verify answer 401 for previously valid access tokens', async () => {
    const token = String((await tokenRequest(provider, { grant_type: 'client_credentials' })).body.access_token);
    expect(await verifyStatus(provider, { authorization: `Bearer ${token}` })).to.equal(200);
    provider.revokeAll();
    expect(provider.isAccessTokenValid(token)).to.equal(false);
    expect(await verifyStatus(provider, { authorization: `Bearer ${token}` })).to.equal(401);
  });

  it('verifies API keys (bearer or x-api-key) and basic users, refusing unknown ones', async () => {
    provider.knobs.apiKeys = ['key-123'];
    provider.knobs.basicUsers = [{ username: 'ann', password: 'pw' }];
    expect(await verifyStatus(provider, { authorization: 'Bearer key-123' })).to.equal(200);
    expect(await verifyStatus(provider, { 'x-api-key': 'key-123' })).to.equal(200);
    expect(await verifyStatus(provider, { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` })).to.equal(200);
    expect(await verifyStatus(provider, { 'x-api-key': 'other' })).to.equal(401);
    expect(await verifyStatus(provider, {})).to.equal(401);
  });

  it('checks OAuth 1.0a signatures on /verify (HMAC-SHA1 and PLAINTEXT, query included), recording the verdict', async () => {
    provider.knobs.oauth1Tokens = [{ token: 'tok-1', tokenSecret: 'tok-secret-1' }];
    // Signed with the oauth-1.0a package directly: the fake's own base-string code is checked against it.
    const sign = (url: string, options: { tokenSecret?: string; token?: string; method?: 'HMAC-SHA1' | 'PLAINTEXT'; consumerSecret?: string } = {}) => {
      const method = options.method ?? 'HMAC-SHA1';
      const oauth = new OAuth({
        consumer: { key: provider.knobs.clientId, secret: options.consumerSecret ?? provider.knobs.clientSecret },
        signature_method: method,
        hash_function: method === 'PLAINTEXT' ? (_base, key) => key : (base, key) => createHmac('sha1', key).update(base).digest('base64'),
      });
      return oauth.toHeader(oauth.authorize({ method: 'GET', url }, { key: options.token ?? 'tok-1', secret: options.tokenSecret ?? 'tok-secret-1' })).Authorization;
    };
    const withQuery = `${provider.url}/verify?b=2&a=x%20y`;
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`) })).to.equal(200);
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`, { method: 'PLAINTEXT' }) })).to.equal(200);
    expect((await fetch(withQuery, { headers: { authorization: sign(withQuery) } })).status).to.equal(200);
    expect((await fetch(`${provider.url}/verify?b=3&a=x%20y`, { headers: { authorization: sign(withQuery) } })).status, 'query tampered with').to.equal(401);
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`, { tokenSecret: 'wrong' }) })).to.equal(401);
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`, { consumerSecret: 'wrong' }) })).to.equal(401);
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`, { token: 'tok-unknown' }) })).to.equal(401);
    expect(provider.calls.map((c) => c.oauth1)).to.deep.equal(['valid', 'valid', 'valid', 'bad_signature', 'bad_signature', 'bad_signature', 'unknown_token']);
    provider.knobs.oauth1Tokens = [];
    expect(await verifyStatus(provider, { authorization: sign(`${provider.url}/verify`) })).to.equal(401);
    expect(provider.calls.at(-1)?.oauth1).to.equal('unknown_token');
    expect(await verifyStatus(provider, { authorization: 'Bearer nothing' })).to.equal(401);
    expect(provider.calls.at(-1)).to.not.have.property('oauth1');
  });

  it('runs the OAuth 1.0a three legs: request token, authorize back to the callback (its query kept), single-use access token added to knobs.oauth1Tokens', async () => {
    // Signed with the oauth-1.0a package directly, as above; protocol parameters ride in the header.
    const post = async (path: string, extra: Record<string, string>, token?: { key: string; secret: string }) => {
      const oauth = new OAuth({ consumer: { key: provider.knobs.clientId, secret: provider.knobs.clientSecret }, signature_method: 'HMAC-SHA1', hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64') });
      const url = `${provider.url}${path}`;
      const authorization = oauth.toHeader({ ...oauth.authorize({ method: 'POST', url, data: extra }, token), ...extra }).Authorization;
      const response = await fetch(url, { method: 'POST', headers: { authorization } });
      return { status: response.status, body: Object.fromEntries(new URLSearchParams(await response.text())) };
    };
    expect(await post('/oauth1/request_token', {})).to.deep.equal({ status: 400, body: { oauth_problem: 'parameter_absent' } });
    const requested = await post('/oauth1/request_token', { oauth_callback: 'http://127.0.0.1:9/cb?state=s-1' });
    expect(requested.status).to.equal(200);
    expect(requested.body).to.have.keys(['oauth_token', 'oauth_token_secret', 'oauth_callback_confirmed']);
    const request = { key: requested.body.oauth_token!, secret: requested.body.oauth_token_secret! };
    expect((await fetch(`${provider.url}/oauth1/authorize?oauth_token=unknown`, { redirect: 'manual' })).status).to.equal(400);
    const approved = await fetch(`${provider.url}/oauth1/authorize?oauth_token=${request.key}`, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).to.equal('http://127.0.0.1:9/cb');
    expect([...back.searchParams.keys()]).to.deep.equal(['state', 'oauth_token', 'oauth_verifier']);
    const verifier = back.searchParams.get('oauth_verifier')!;

    const access = await post('/oauth1/access_token', { oauth_verifier: verifier }, request);
    expect(access.status).to.equal(200);
    expect(provider.knobs.oauth1Tokens).to.deep.equal([{ token: access.body.oauth_token, tokenSecret: access.body.oauth_token_secret }]);
    expect(await post('/oauth1/access_token', { oauth_verifier: verifier }, request), 'single use').to.deep.equal({ status: 401, body: { oauth_problem: 'token_rejected' } });
    expect(provider.issued.oauth1).to.deep.equal([request.key, request.secret, verifier, access.body.oauth_token, access.body.oauth_token_secret]);
    expect(provider.calls.map((c) => [c.path, c.status, c.oauth1])).to.deep.equal([
      ['/oauth1/request_token', 400, 'valid'],
      ['/oauth1/request_token', 200, 'valid'],
      ['/oauth1/authorize', 400, undefined],
      ['/oauth1/authorize', 302, undefined],
      ['/oauth1/access_token', 200, 'valid'],
      ['/oauth1/access_token', 401, 'unknown_token'],
    ]);
  });

  it('fakeOAuth1Entry() is a valid OAUTH1 catalog entry', () => {
    const parsed = providerEntrySchema.safeParse(fakeOAuth1Entry(provider));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).to.equal(true);
  });

  it('fakeProviderEntry() is a valid catalog entry pointing at the server', () => {
    const entry = fakeProviderEntry(provider, { default_scopes: ['read'] });
    const parsed = providerEntrySchema.safeParse(entry);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).to.equal(true);
    expect(entry.token_url).to.equal(`${provider.url}/token`);
  });
});
