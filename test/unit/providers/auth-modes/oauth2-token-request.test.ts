import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionConfigError } from '../../../../src/errors';
import { nangoEntrySchema } from '../../../../providers/catalog-schema';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import {
  exchangeAuthorizationCode,
  mintClientCredentialsToken,
  refreshAccessToken,
  type RefreshAccessTokenInput,
} from '../../../../providers/auth-modes/oauth2-token-request';

// Far from the wall clock: any expiry computed from Date.now() instead of `now` shows up.
const NOW = new Date('2030-01-01T00:00:00Z');
const HOUR_MS = 60 * 60 * 1000;
const CLIENT_ID = 'client-123';
const CLIENT_SECRET = 'client-secret-9f8e';
const REFRESH_TOKEN = 'refresh-token-4b5c';
const TIMEOUT_MS = 10_000;

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
  /** Accept the request and never answer. */
  hang?: boolean;
}

/** A token endpoint on 127.0.0.1 that records every request and answers with `reply`. */
class FakeTokenEndpoint {
  readonly requests: Recorded[] = [];
  reply: Reply = {};
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status = 200, headers = {}, body = {}, hang = false } = this.reply;
      if (hang) return;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers }).end(text);
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.reply = {};
  }

  /** The one request received (fails when there were none or several). */
  only(): Recorded {
    expect(this.requests).to.have.length(1);
    return this.requests[0]!;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const provider = new FakeTokenEndpoint();

function entry(overrides: Record<string, unknown> = {}) {
  return nangoEntrySchema.parse({
    display_name: 'Fake',
    docs: 'https://example.com/docs',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://example.com/authorize',
    token_url: `${provider.origin}/token`,
    ...overrides,
  });
}

function refreshInput(overrides: Partial<RefreshAccessTokenInput> = {}): RefreshAccessTokenInput {
  return { entry: entry(), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, connectionConfig: {}, now: NOW, timeoutMs: TIMEOUT_MS, ...overrides };
}

function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, the promise resolved');
}

function jwtWithExp(exp: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'user', exp })}.signature`;
}

describe('OAuth 2.0 token endpoint calls', () => {
  before(() => provider.start());
  after(() => provider.stop());
  beforeEach(() => provider.reset());

  describe('request', () => {
    it('SSRF at send time: a token URL whose base an end user chose (http://127.0.0.1:port) is refused before connecting when ALLOW_PRIVATE_NETWORK_TARGETS is off', async () => {
      const chosen = entry({ token_url: '${connectionConfig.instance_url}/token' });
      const error = await rejectionOf(refreshAccessToken(refreshInput({ entry: chosen, connectionConfig: { instance_url: provider.origin }, refusePrivateUserHosts: true })));
      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ code: 'private_network_target', kind: 'permanent' });
      expect(provider.requests).to.have.length(0);
      // The operator's own fixed host is not the end user's choice: it stays allowed.
      provider.reply = { body: { access_token: 'a', token_type: 'bearer' } };
      await refreshAccessToken(refreshInput({ refusePrivateUserHosts: true }));
      expect(provider.requests).to.have.length(1);
    });

    it('refreshes with grant_type=refresh_token and client_secret_post by default, without a scope', async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 } };
      await refreshAccessToken(refreshInput());
      const request = provider.only();
      expect(request.method).to.equal('POST');
      expect(request.path).to.equal('/token');
      expect(request.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
      expect(request.headers.authorization).to.equal(undefined);
      expect(form(request.body)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    });

    it("sends the client credentials as HTTP Basic when token_request_auth_method is 'basic'", async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'Bearer' } };
      await refreshAccessToken(refreshInput({ entry: entry({ token_request_auth_method: 'basic' }) }));
      const request = provider.only();
      expect(request.headers.authorization).to.equal(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
      expect(form(request.body)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN });
    });

    it("sends a JSON body when body_format is 'json'", async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'bearer' } };
      await refreshAccessToken(refreshInput({ entry: entry({ body_format: 'json' }) }));
      const request = provider.only();
      expect(request.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(request.body)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    });

    it('refreshes at refresh_url with refresh_params instead of token_params, leaving out grant and credentials parameters', async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'bearer' } };
      const withRefreshParams = entry({
        refresh_url: `${provider.origin}/refresh`,
        token_params: { audience: 'token-audience', grant_type: 'authorization_code' },
        refresh_params: { audience: 'refresh-audience', grant_type: 'authorization_code', secret: '${credentials.password}' },
      });
      await refreshAccessToken(refreshInput({ entry: withRefreshParams }));
      const request = provider.only();
      expect(request.path).to.equal('/refresh');
      expect(form(request.body)).to.deep.equal({
        audience: 'refresh-audience',
        grant_type: 'refresh_token',
        refresh_token: REFRESH_TOKEN,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      });
    });

    it('falls back to token_params when the entry has no refresh_params', async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'bearer' } };
      await refreshAccessToken(refreshInput({ entry: entry({ token_params: { audience: 'token-audience' } }) }));
      expect(form(provider.only().body)['audience']).to.equal('token-audience');
    });

    it('fills the token URL from connection config, checked against the field pattern', async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'bearer' } };
      const tenantEntry = entry({
        token_url: `${provider.origin}/\${connectionConfig.tenant}/token`,
        connection_config: { tenant: { type: 'string', title: 'Tenant', description: 'Tenant id', pattern: '^[a-z]+$' } },
      });
      await refreshAccessToken(refreshInput({ entry: tenantEntry, connectionConfig: { tenant: 'acme' } }));
      expect(provider.only().path).to.equal('/acme/token');

      const error = await rejectionOf(refreshAccessToken(refreshInput({ entry: tenantEntry, connectionConfig: { tenant: 'Not-A-Tenant' } })));
      expect(error).to.be.instanceOf(ConnectionConfigError);
      expect((error as ConnectionConfigError).code).to.equal('invalid_connection_config');
      expect(provider.requests).to.have.length(1);
    });

    it('exchanges an authorization code with the redirect URI, the PKCE verifier and token_params', async () => {
      provider.reply = { body: { access_token: 'at-1', refresh_token: 'rt-1', token_type: 'bearer', expires_in: 60 } };
      const tokens = await exchangeAuthorizationCode({
        entry: entry({ token_params: { audience: 'api' } }),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        code: 'code-abc',
        redirectUri: 'https://custodian.example.com/oauth/callback',
        codeVerifier: 'verifier-xyz',
        connectionConfig: {},
        now: NOW,
        timeoutMs: TIMEOUT_MS,
      });
      expect(form(provider.only().body)).to.deep.equal({
        audience: 'api',
        code: 'code-abc',
        redirect_uri: 'https://custodian.example.com/oauth/callback',
        code_verifier: 'verifier-xyz',
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      });
      expect(tokens.refreshToken).to.equal('rt-1');
      expect(tokens.expiresAt).to.deep.equal(new Date(NOW.getTime() + 60_000));
    });
  });

  describe('normalisation', () => {
    it('adds expires_in seconds to the given now and keeps the body as raw', async () => {
      const body = { access_token: 'at-1', refresh_token: 'rt-2', token_type: 'Bearer', expires_in: 3600, scope: 'a b' };
      provider.reply = { body };
      const tokens = await refreshAccessToken(refreshInput());
      expect(tokens).to.deep.equal({ accessToken: 'at-1', refreshToken: 'rt-2', expiresAt: new Date(NOW.getTime() + HOUR_MS), raw: body, connectionConfig: {} });
    });

    it('reads expires_in as milliseconds when expires_in_unit says so, and accepts a numeric string', async () => {
      provider.reply = { body: { access_token: 'at-1', expires_in: '90000' } };
      const tokens = await refreshAccessToken(refreshInput({ entry: entry({ expires_in_unit: 'milliseconds' }) }));
      expect(tokens.expiresAt).to.deep.equal(new Date(NOW.getTime() + 90_000));
    });

    it("uses the access token's JWT exp when there is no expires_in", async () => {
      provider.reply = { body: { access_token: jwtWithExp(1_900_000_000), token_type: 'bearer' } };
      const tokens = await refreshAccessToken(refreshInput());
      expect(tokens.expiresAt).to.deep.equal(new Date(1_900_000_000 * 1000));
    });

    it('has no expiry and no refresh token when the response carries neither', async () => {
      provider.reply = { body: { access_token: 'opaque-token', token_type: 'bearer' } };
      const tokens = await refreshAccessToken(refreshInput());
      expect(tokens.expiresAt).to.equal(null);
      expect(tokens.refreshToken).to.equal(undefined);
      expect(tokens).to.not.have.property('refreshToken');
    });

    it('copies the token_response_metadata values, dotted paths keyed as written', async () => {
      provider.reply = { body: { access_token: 'at-1', token_type: 'bearer', instance_url: 'https://acme.my.salesforce.com', team: { id: 'T123' } } };
      const tokens = await refreshAccessToken(refreshInput({ entry: entry({ token_response_metadata: ['instance_url', 'team.id', 'absent'] }) }));
      expect(tokens.connectionConfig).to.deep.equal({ instance_url: 'https://acme.my.salesforce.com', 'team.id': 'T123' });
    });
  });

  describe('client credentials', () => {
    it('joins the scopes with scope_separator and expires a token without expiry 55 minutes after now', async () => {
      provider.reply = { body: { access_token: 'cc-token', token_type: 'bearer' } };
      const tokens = await mintClientCredentialsToken({
        entry: entry({ auth_mode: 'OAUTH2_CC', scope_separator: ',' }),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: ['read', 'write'],
        connectionConfig: {},
        now: NOW,
        timeoutMs: TIMEOUT_MS,
      });
      expect(form(provider.only().body)).to.deep.equal({ scope: 'read,write', grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      expect(tokens.accessToken).to.equal('cc-token');
      expect(tokens.expiresAt).to.deep.equal(new Date(NOW.getTime() + 55 * 60 * 1000));
    });

    it("uses the grant type token_params names (Zoom's account_credentials) and sends no scope when there is none", async () => {
      provider.reply = { body: { access_token: 'cc-token', token_type: 'bearer', expires_in: 3600 } };
      const tokens = await mintClientCredentialsToken({
        entry: entry({ auth_mode: 'OAUTH2_CC', token_params: { grant_type: 'account_credentials', account_id: '${connectionConfig.accountId}' } }),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: [],
        connectionConfig: { accountId: 'acct-1' },
        now: NOW,
        timeoutMs: TIMEOUT_MS,
      });
      expect(form(provider.only().body)).to.deep.equal({ account_id: 'acct-1', grant_type: 'account_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
      expect(tokens.expiresAt).to.deep.equal(new Date(NOW.getTime() + HOUR_MS));
    });
  });

  describe("body_format 'query' (Kno Commerce, Transporeon)", () => {
    it('sends the grant parameters in the token URL query, no body, the client authenticated with HTTP Basic', async () => {
      provider.reply = { body: { access_token: 'cc-token', token_type: 'bearer', expires_in: 3600 } };
      await mintClientCredentialsToken({
        entry: entry({ auth_mode: 'OAUTH2_CC', body_format: 'query', token_request_auth_method: 'basic', token_url: `${provider.origin}/token?tenant=t1` }),
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: ['read'],
        connectionConfig: {},
        now: NOW,
        timeoutMs: TIMEOUT_MS,
      });
      const request = provider.only();
      expect(request.method).to.equal('POST');
      const url = new URL(request.path, provider.origin);
      expect(url.pathname).to.equal('/token');
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({ tenant: 't1', scope: 'read', grant_type: 'client_credentials' });
      expect(request.body).to.equal('');
      expect(request.headers['content-type']).to.equal(undefined);
      expect(request.headers.authorization).to.equal(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
    });

    it('is refused by the catalog schema unless the grant is client credentials with Basic client authentication', () => {
      const base = { display_name: 'Fake', auth_mode: 'OAUTH2_CC', token_url: 'https://example.com/token', body_format: 'query' };
      const issues = (raw: Record<string, unknown>) => {
        const result = nangoEntrySchema.safeParse(raw);
        return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      };
      const refusal = 'body_format: query is only for OAUTH2_CC with token_request_auth_method: basic (no secret may go into a URL)';
      expect(issues(base)).to.deep.equal([refusal]);
      expect(issues({ ...base, auth_mode: 'OAUTH2', authorization_url: 'https://example.com/authorize', token_request_auth_method: 'basic' })).to.deep.equal([refusal]);
      expect(issues({ ...base, token_request_auth_method: 'basic' })).to.deep.equal([]);
    });
  });

  describe('failures', () => {
    const cases: { name: string; reply: Reply; kind: 'transient' | 'permanent'; code: string; httpStatus?: number; retryAfterMs?: number; message?: RegExp }[] = [
      { name: '503', reply: { status: 503, body: 'Service Unavailable' }, kind: 'transient', code: 'provider_server_error', httpStatus: 503 },
      { name: '429 with Retry-After seconds', reply: { status: 429, headers: { 'retry-after': '7' }, body: {} }, kind: 'transient', code: 'provider_rate_limited', httpStatus: 429, retryAfterMs: 7000 },
      {
        name: '429 with a Retry-After date, relative to now',
        reply: { status: 429, headers: { 'retry-after': new Date(NOW.getTime() + 30_000).toUTCString() }, body: {} },
        kind: 'transient',
        code: 'provider_rate_limited',
        httpStatus: 429,
        retryAfterMs: 30_000,
      },
      {
        name: 'invalid_grant (echoing the refresh token)',
        reply: { status: 400, body: { error: 'invalid_grant', error_description: `Refresh token ${REFRESH_TOKEN} has expired` } },
        kind: 'permanent',
        code: 'invalid_grant',
        httpStatus: 400,
        message: /\(invalid_grant\): Refresh token \[redacted\] has expired$/,
      },
      { name: 'invalid_client', reply: { status: 401, body: { error: 'invalid_client' } }, kind: 'permanent', code: 'invalid_client', httpStatus: 401 },
      { name: 'unauthorized_client', reply: { status: 400, body: { error: 'unauthorized_client' } }, kind: 'permanent', code: 'unauthorized_client', httpStatus: 400 },
      {
        name: 'another OAuth error',
        reply: { status: 400, body: { error: 'invalid_scope', error_description: `${'x'.repeat(500)}` } },
        kind: 'permanent',
        code: 'provider_rejected',
        httpStatus: 400,
        message: /answered 400 \(invalid_scope\): x{281}…$/,
      },
      { name: '404 html', reply: { status: 404, body: '<html>Not found</html>' }, kind: 'permanent', code: 'provider_rejected', httpStatus: 404 },
      {
        name: 'a 200 that is not JSON',
        reply: { status: 200, body: `access_token=at-1&refresh_token=${REFRESH_TOKEN}` },
        kind: 'transient',
        code: 'provider_malformed_response',
        httpStatus: 200,
      },
      { name: 'a 200 without access_token', reply: { status: 200, body: { token_type: 'bearer' } }, kind: 'transient', code: 'provider_malformed_response', httpStatus: 200 },
      { name: "a 200 with an OAuth error body (GitHub's style)", reply: { status: 200, body: { error: 'bad_refresh_token' } }, kind: 'permanent', code: 'provider_rejected', httpStatus: 200 },
    ];

    for (const { name, reply, kind, code, httpStatus, retryAfterMs, message } of cases) {
      it(`classifies ${name} as ${kind} ${code}`, async () => {
        provider.reply = reply;
        const error = await rejectionOf(refreshAccessToken(refreshInput()));
        expect(error).to.be.instanceOf(ProviderCallError);
        const { kind: actualKind, code: actualCode, httpStatus: actualStatus, retryAfterMs: actualRetry, message: actualMessage } = error as ProviderCallError;
        expect({ kind: actualKind, code: actualCode, httpStatus: actualStatus, retryAfterMs: actualRetry }).to.deep.equal({ kind, code, httpStatus, retryAfterMs });
        expect(actualMessage).to.include(`${provider.origin}/token`);
        expect(actualMessage).to.not.include(REFRESH_TOKEN);
        expect(actualMessage).to.not.include(CLIENT_SECRET);
        if (message) expect(actualMessage).to.match(message);
      });
    }

    it('classifies a refused connection as transient provider_unreachable', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const error = await rejectionOf(refreshAccessToken(refreshInput({ entry: entry({ token_url: `http://127.0.0.1:${port}/token` }) })));
      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ kind: 'transient', code: 'provider_unreachable', httpStatus: undefined });
      expect(error).to.include({ answerLost: false });
      expect((error as Error).message).to.equal(`The token endpoint of Fake (http://127.0.0.1:${port}/token) could not be reached: ECONNREFUSED`);
    });

    it('classifies an endpoint that does not answer within timeoutMs as transient provider_timeout', async () => {
      provider.reply = { hang: true };
      const started = performance.now();
      const error = await rejectionOf(refreshAccessToken(refreshInput({ timeoutMs: 300 })));
      expect(performance.now() - started).to.be.lessThan(5000);
      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ kind: 'transient', code: 'provider_timeout', answerLost: true });
      expect((error as Error).message).to.equal(`The token endpoint of Fake (${provider.origin}/token) did not answer within 0.3 s`);
      expect(provider.requests).to.have.length(1);
    });
  });
});
