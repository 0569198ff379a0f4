/**
 * A fake OAuth provider for tests: a real HTTP server on 127.0.0.1 with an authorization endpoint,
 * a token endpoint (authorization_code + PKCE, refresh_token, client_credentials), the three OAuth 1.0a
 * endpoints (`/oauth1/request_token`, `/oauth1/authorize`, `/oauth1/access_token`), a verification
 * endpoint (also checking OAuth 1.0a signatures), runtime knobs, queued faults, and a record of every
 * call and every secret it issued.
 */
import { registerSecrets } from './secret-registry';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Behaviour switches; mutable at runtime through `provider.knobs`. */
export interface FakeProviderKnobs {
  clientId: string;
  clientSecret: string;
  /** Seconds; `null` omits `expires_in` from token responses. */
  expiresIn: number | null;
  /** When true each refresh token is single-use and a new one is issued on every refresh. */
  rotateRefreshTokens: boolean;
  /**
   * Like Okta's grace period, Auth0's reuse interval or Xero's: a refresh token that was rotated is still
   * accepted for this long after its rotation, and answers a new token set exactly like a normal refresh.
   * 0 (the default): a rotated refresh token is refused at once (`invalid_grant`).
   */
  reuseGraceMs: number;
  /** Delay before answering `/token`. */
  latencyMs: number;
  /**
   * Like servers that cancel a request's work when its client disconnects (Go's request context, for one):
   * a /token call whose client went away during the latency is not processed (recorded with status 499).
   */
  cancelOnClientDisconnect: boolean;
  /** Merged into every successful token response. */
  extraTokenFields: Record<string, unknown>;
  /** Keys `/verify` accepts as `Authorization: Bearer <key>` or `x-api-key: <key>`. */
  apiKeys: string[];
  /** Credentials `/verify` accepts as HTTP Basic. */
  basicUsers: Array<{ username: string; password: string }>;
  /**
   * OAuth 1.0a access tokens `/verify` accepts in a signed `Authorization: OAuth …` header (HMAC-SHA1 or
   * PLAINTEXT; the consumer is `clientId` / `clientSecret`).
   */
  oauth1Tokens: Array<{ token: string; tokenSecret: string }>;
  /** When set, `/authorize` sends the user back with this OAuth `error` (e.g. `access_denied`: the user declined) instead of a code. */
  authorizeError: string | null;
}

/** What `/verify` made of an OAuth 1.0a Authorization header. */
export type OAuth1Check = 'valid' | 'bad_signature' | 'unknown_token';

/** A fault injected into one `/token` call. */
export type FakeFault =
  | { status: number; retryAfterSeconds?: number; body?: unknown }
  /** Accepts the request and never answers until the server closes. */
  | { timeout: true }
  /** 200 with a body that is not JSON. */
  | { malformed: true };

/** How a `/token` call authenticated its client. */
export type ClientAuth = 'basic' | 'post' | 'none';

/** One request the provider received. */
export interface FakeProviderCall {
  at: Date;
  method: string;
  path: string;
  /** Query parameters (the interesting part of `/authorize` calls). */
  query: Record<string, string>;
  grantType?: string;
  refreshTokenUsed?: string;
  /** The refresh token a successful `/token` answer issued (follows a connection's chain of rotations). */
  refreshTokenIssued?: string;
  clientAuth?: ClientAuth;
  contentType?: string;
  /** Status answered; 0 while unanswered (a timeout fault never answers). */
  status: number;
  /** Parsed request body (`{}` when there is none). */
  body: Record<string, unknown>;
  /** `/verify` and `/oauth1/*` token calls with an `Authorization: OAuth …` header: the signature check's verdict. */
  oauth1?: OAuth1Check;
}

/** Every secret the provider ever issued, valid or not. */
export interface FakeProviderIssued {
  accessTokens: string[];
  refreshTokens: string[];
  codes: string[];
  /** OAuth 1.0a request tokens, their secrets, verifiers, access tokens and their secrets. */
  oauth1: string[];
  /** Every credential presented to /verify (API keys, basic passwords, bearer tokens), accepted or not. */
  presented: string[];
}

/** A running fake provider. */
export interface FakeProvider {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly knobs: FakeProviderKnobs;
  readonly calls: FakeProviderCall[];
  readonly issued: FakeProviderIssued;
  /** Queues `count` copies of `fault` for the next token calls (`/token`, `/oauth1/request_token`, `/oauth1/access_token`). */
  failNext(count: number, fault: FakeFault): void;
  /** Invalidates every issued access and refresh token. */
  revokeAll(): void;
  /** `/token` calls, optionally only those of one grant type. */
  tokenCalls(grantType?: string): FakeProviderCall[];
  isAccessTokenValid(token: string): boolean;
  /** Clears calls, faults and tokens, and puts knobs back to their defaults. */
  reset(): void;
  /** Closes the server, destroying open sockets (including those held by timeout faults). */
  close(): Promise<void>;
  /** After close(): listens again on the same port (a provider that was down comes back), with its state kept. */
  reopen(): Promise<void>;
  /**
   * Serves `method path` with `handler`: the endpoints of one auth mode live in their own module under
   * `test/support/fake-modes/`, which mounts them (a mounted route wins over a built-in one). A `:name`
   * segment matches any one segment, its value in `params.name`.
   */
  mount(method: string, path: string, handler: FakeRouteHandler): void;
  /** The next queued fault (see failNext), for mounted token endpoints that honour faults. */
  takeFault(): FakeFault | undefined;
  /** Records secrets a mounted endpoint issued or was shown, so history audits look for them. */
  rememberSecrets(...secrets: string[]): void;
}

/** What a mounted route receives. */
export interface FakeRouteRequest {
  req: IncomingMessage;
  url: URL;
  call: FakeProviderCall;
  /** Parsed form or JSON body (`{}` for none). */
  body: Record<string, unknown>;
  /** The body as received. */
  rawBody: string;
  /** Values of the mounted path's `:name` segments (`/app/installations/:id/access_tokens`). */
  params: Record<string, string>;
}

/** What a mounted route answers. */
export interface FakeRouteAnswer {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeRouteHandler = (request: FakeRouteRequest) => FakeRouteAnswer | Promise<FakeRouteAnswer>;

type Body = Record<string, unknown>;

interface Outcome {
  status: number;
  payload: string;
  headers?: Record<string, string>;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  scope?: string;
}

interface RequestToken {
  tokenSecret: string;
  /** `oauth_callback` of the request token call. */
  callback: string;
  /** Set when the user "authorized" the token. */
  verifier?: string;
}

/** What an OAuth 1.0a signature covers besides the protocol parameters. */
interface SignedRequest {
  method: string;
  host: string;
  url: URL;
  tokenSecret: string;
  /** A form-encoded body (its parameters are signed, §3.4.1.3.1). */
  body?: Body;
}

interface ClientCredentials {
  kind: ClientAuth;
  clientId?: string;
  clientSecret?: string;
}

/** Knob defaults (fresh objects on every call). */
export function defaultKnobs(): FakeProviderKnobs {
  return {
    clientId: 'fake-client',
    clientSecret: 'fake-secret',
    expiresIn: 3600,
    rotateRefreshTokens: true,
    reuseGraceMs: 0,
    latencyMs: 0,
    cancelOnClientDisconnect: false,
    extraTokenFields: {},
    apiKeys: [],
    basicUsers: [],
    oauth1Tokens: [],
    authorizeError: null,
  };
}

/** Starts a fake provider on a free loopback port. */
export async function startFakeProvider(options: Partial<FakeProviderKnobs> = {}): Promise<FakeProvider> {
  const provider = new FakeOAuthProvider(options);
  await provider.listen();
  registerSecrets(() => [
    ...provider.retired,
    ...provider.issued.accessTokens,
    ...provider.issued.refreshTokens,
    ...provider.issued.codes,
    ...provider.issued.oauth1,
    ...provider.issued.presented,
    ...provider.knobs.apiKeys,
    ...provider.knobs.basicUsers.map((u) => u.password),
    provider.knobs.clientSecret,
    ...provider.knobs.oauth1Tokens.flatMap((t) => [t.token, t.tokenSecret]),
  ]);
  return provider;
}

/** A catalog entry (see `providers/catalog-schema.ts`) pointing at `provider`. */
export function fakeProviderEntry(provider: Pick<FakeProvider, 'url'>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { url } = provider;
  return {
    display_name: 'Fake OAuth',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-oauth',
    auth_mode: 'OAUTH2',
    authorization_url: `${url}/authorize`,
    token_url: `${url}/token`,
    proxy: { base_url: url, verification: { method: 'GET', endpoints: ['/verify'] } },
    ...overrides,
  };
}

/** An OAUTH1 catalog entry pointing at `provider`'s `/oauth1/*` endpoints, verified at `/verify`. */
export function fakeOAuth1Entry(provider: Pick<FakeProvider, 'url'>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { url } = provider;
  return fakeProviderEntry(provider, {
    display_name: 'Fake OAuth 1.0a',
    auth_mode: 'OAUTH1',
    request_url: `${url}/oauth1/request_token`,
    authorization_url: `${url}/oauth1/authorize`,
    token_url: `${url}/oauth1/access_token`,
    signature_method: 'HMAC-SHA1',
    ...overrides,
  });
}

/** The catalog's `${apiKey}` placeholder (written so no template literal is involved). */
const API_KEY_PLACEHOLDER = '$' + '{apiKey}';

/** An API_KEY catalog entry whose keys are checked against `provider`'s /verify (knob `apiKeys`). */
export function fakeApiKeyEntry(provider: Pick<FakeProvider, 'url'>): Record<string, unknown> {
  return {
    display_name: 'Fake API key',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-apikey',
    auth_mode: 'API_KEY',
    proxy: { base_url: provider.url, headers: { authorization: `Bearer ${API_KEY_PLACEHOLDER}` }, verification: { method: 'GET', endpoints: ['/verify'] } },
  };
}

/** A BASIC catalog entry whose credentials are checked against `provider`'s /verify (knob `basicUsers`). */
export function fakeBasicEntry(provider: Pick<FakeProvider, 'url'>): Record<string, unknown> {
  return {
    display_name: 'Fake basic',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-basic',
    auth_mode: 'BASIC',
    proxy: { base_url: provider.url, verification: { method: 'GET', endpoints: ['/verify'] } },
  };
}

class FakeOAuthProvider implements FakeProvider {
  readonly knobs: FakeProviderKnobs;
  readonly calls: FakeProviderCall[] = [];
  readonly issued: FakeProviderIssued = { accessTokens: [], refreshTokens: [], codes: [], oauth1: [], presented: [] };
  /** Secrets issued or presented before the last reset(). */
  readonly retired: string[] = [];
  private readonly server: Server;
  private readonly faults: FakeFault[] = [];
  private readonly mounted = new Map<string, FakeRouteHandler>();
  private readonly validAccessTokens = new Set<string>();
  /** Valid refresh token → scope it was granted with. */
  private readonly validRefreshTokens = new Map<string, string | undefined>();
  /** Rotated refresh token → its scope and when it was rotated (for `reuseGraceMs`). */
  private readonly rotatedRefreshTokens = new Map<string, { scope: string | undefined; rotatedAt: number }>();
  private readonly unusedCodes = new Map<string, IssuedCode>();
  /** OAuth 1.0a request tokens not yet exchanged. */
  private readonly requestTokens = new Map<string, RequestToken>();
  private baseUrl = '';

  constructor(options: Partial<FakeProviderKnobs>) {
    this.knobs = { ...defaultKnobs(), ...options };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, undefined, json(500, { error: 'server_error', message: String(error) })));
    });
  }

  get url(): string {
    return this.baseUrl;
  }

  listen(): Promise<void> {
    // A restart keeps the port, so catalog entries pointing at `url` reach it again.
    const port = this.baseUrl === '' ? 0 : Number(new URL(this.baseUrl).port);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        resolve();
      });
    });
  }

  failNext(count: number, fault: FakeFault): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  revokeAll(): void {
    this.validAccessTokens.clear();
    this.validRefreshTokens.clear();
    this.rotatedRefreshTokens.clear();
  }

  tokenCalls(grantType?: string): FakeProviderCall[] {
    return this.calls.filter((call) => call.path === '/token' && (grantType === undefined || call.grantType === grantType));
  }

  isAccessTokenValid(token: string): boolean {
    return this.validAccessTokens.has(token);
  }

  reset(): void {
    // What was issued or used before stays known to the history audit.
    this.retired.push(...Object.values(this.issued).flat(), ...this.knobs.apiKeys, ...this.knobs.basicUsers.map((u) => u.password));
    this.calls.length = 0;
    this.faults.length = 0;
    Object.assign(this.knobs, defaultKnobs());
    this.revokeAll();
    this.unusedCodes.clear();
    this.requestTokens.clear();
    this.rotatedRefreshTokens.clear();
    for (const list of Object.values(this.issued)) list.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  reopen(): Promise<void> {
    return this.listen();
  }

  mount(method: string, path: string, handler: FakeRouteHandler): void {
    this.mounted.set(`${method.toUpperCase()} ${path}`, handler);
  }

  takeFault(): FakeFault | undefined {
    return this.faults.shift();
  }

  rememberSecrets(...secrets: string[]): void {
    this.issued.presented.push(...secrets);
  }

  /** The mounted route for `method path`: an exact path first, else one whose `:name` segments match. */
  private mountedRoute(method: string, path: string): { handler: FakeRouteHandler; params: Record<string, string> } | undefined {
    const exact = this.mounted.get(`${method} ${path}`);
    if (exact) return { handler: exact, params: {} };
    const segments = path.split('/');
    for (const [key, handler] of this.mounted) {
      const [mountedMethod, mountedPath = ''] = key.split(' ');
      const pattern = mountedPath.split('/');
      if (mountedMethod !== method || pattern.length !== segments.length || !mountedPath.includes('/:')) continue;
      const params: Record<string, string> = {};
      const matches = pattern.every((part, index) => {
        const segment = segments[index] ?? '';
        if (!part.startsWith(':')) return part === segment;
        params[part.slice(1)] = decodeURIComponent(segment);
        return segment !== '';
      });
      if (matches) return { handler, params };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const call: FakeProviderCall = {
      at: new Date(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      status: 0,
      body: {},
    };
    this.calls.push(call);
    const rawBody = await readText(req);
    const mounted = this.mountedRoute(call.method, call.path);
    if (mounted) {
      call.body = parseBody(call.contentType, rawBody) ?? {};
      const answer = await mounted.handler({ req, url, call, body: call.body, rawBody, params: mounted.params });
      const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const headers = typeof answer.body === 'string' || answer.body === undefined ? answer.headers : { 'content-type': 'application/json', ...answer.headers };
      return send(res, call, { status: answer.status, payload, headers });
    }
    const body = parseBody(call.contentType, rawBody);
    if (body === undefined) return send(res, call, json(400, { error: 'invalid_request', error_description: 'unparsable body' }));
    call.body = body;
    if (call.method === 'GET' && call.path === '/authorize') return send(res, call, this.authorize(url.searchParams));
    if (call.method === 'POST' && call.path === '/token') return this.token(req, res, call);
    if (call.method === 'GET' && call.path === '/verify') return send(res, call, this.verify(req, call, url));
    if (call.method === 'POST' && call.path === '/oauth1/request_token') return this.oauth1TokenCall(res, call, () => this.oauth1RequestToken(req, call, url));
    if (call.method === 'GET' && call.path === '/oauth1/authorize') return send(res, call, this.oauth1Authorize(url.searchParams));
    if (call.method === 'POST' && call.path === '/oauth1/access_token') return this.oauth1TokenCall(res, call, () => this.oauth1AccessToken(req, call, url));
    send(res, call, json(404, { error: 'not_found' }));
  }

  private authorize(query: URLSearchParams): Outcome {
    const clientId = query.get('client_id');
    const redirectUri = query.get('redirect_uri');
    const codeChallenge = query.get('code_challenge') ?? undefined;
    if (clientId !== this.knobs.clientId || !redirectUri || !URL.canParse(redirectUri)) return json(400, { error: 'invalid_request' });
    if (codeChallenge !== undefined && query.get('code_challenge_method') !== 'S256') {
      return json(400, { error: 'invalid_request', error_description: 'only S256 is supported' });
    }
    const location = new URL(redirectUri);
    if (this.knobs.authorizeError !== null) {
      // RFC 6749 §4.1.2.1: the error goes back to the client's redirect URI, with the state.
      location.searchParams.set('error', this.knobs.authorizeError);
    } else {
      const code = this.issue('fake-code-', this.issued.codes);
      this.unusedCodes.set(code, { clientId, redirectUri, codeChallenge, scope: query.get('scope') ?? undefined });
      location.searchParams.set('code', code);
    }
    const state = query.get('state');
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, payload: '', headers: { location: location.toString() } };
  }

  private async token(req: IncomingMessage, res: ServerResponse, call: FakeProviderCall): Promise<void> {
    const client = clientCredentialsOf(req.headers.authorization, call.body);
    call.clientAuth = client.kind;
    call.grantType = text(call.body.grant_type);
    call.refreshTokenUsed = text(call.body.refresh_token);
    const fault = this.faults.shift();
    if (fault && 'timeout' in fault) return; // held open until close() destroys the socket
    await delay(this.knobs.latencyMs);
    if (this.knobs.cancelOnClientDisconnect && (req.socket.destroyed || res.destroyed)) {
      call.status = 499;
      return;
    }
    if (fault) return send(res, call, faultOutcome(fault));
    if (client.clientId !== this.knobs.clientId || client.clientSecret !== this.knobs.clientSecret) {
      return send(res, call, json(401, { error: 'invalid_client' }));
    }
    const outcome = this.grant(call.grantType, call.body);
    if (outcome.status === 200) call.refreshTokenIssued = text((JSON.parse(outcome.payload) as Body).refresh_token);
    send(res, call, outcome);
  }

  private grant(grantType: string | undefined, body: Body): Outcome {
    switch (grantType) {
      case 'authorization_code':
        return this.exchangeCode(body);
      case 'refresh_token':
        return this.refresh(body);
      case 'client_credentials':
        return this.tokenResponse(text(body.scope), false);
      default:
        return json(400, { error: 'unsupported_grant_type' });
    }
  }

  private exchangeCode(body: Body): Outcome {
    const code = text(body.code) ?? '';
    const issued = this.unusedCodes.get(code);
    if (!issued) return invalidGrant();
    this.unusedCodes.delete(code); // single use, even when the rest of the exchange fails
    if (issued.redirectUri !== text(body.redirect_uri)) return invalidGrant();
    if (issued.codeChallenge !== undefined && issued.codeChallenge !== s256(text(body.code_verifier))) return invalidGrant();
    return this.tokenResponse(issued.scope, true);
  }

  private refresh(body: Body): Outcome {
    const token = text(body.refresh_token) ?? '';
    const rotated = this.rotatedRefreshTokens.get(token);
    if (rotated && Date.now() - rotated.rotatedAt < this.knobs.reuseGraceMs) return this.tokenResponse(rotated.scope, true);
    if (!this.validRefreshTokens.has(token)) return invalidGrant();
    const scope = this.validRefreshTokens.get(token);
    if (!this.knobs.rotateRefreshTokens) return this.tokenResponse(scope, false);
    this.validRefreshTokens.delete(token);
    this.rotatedRefreshTokens.set(token, { scope, rotatedAt: Date.now() });
    return this.tokenResponse(scope, true);
  }

  private tokenResponse(scope: string | undefined, withRefreshToken: boolean): Outcome {
    const accessToken = this.issue('fake-at-', this.issued.accessTokens);
    this.validAccessTokens.add(accessToken);
    const response: Body = { access_token: accessToken, token_type: 'bearer' };
    if (this.knobs.expiresIn !== null) response.expires_in = this.knobs.expiresIn;
    if (withRefreshToken) {
      const refreshToken = this.issue('fake-rt-', this.issued.refreshTokens);
      this.validRefreshTokens.set(refreshToken, scope);
      response.refresh_token = refreshToken;
    }
    if (scope !== undefined) response.scope = scope;
    return json(200, { ...response, ...this.knobs.extraTokenFields });
  }

  private verify(req: IncomingMessage, call: FakeProviderCall, url: URL): Outcome {
    this.recordPresented(req);
    const oauth1 = oauth1Params(req.headers.authorization);
    if (oauth1 !== undefined) call.oauth1 = this.checkOAuth1(oauth1, call.method, req.headers.host ?? '', url);
    const ok =
      call.oauth1 === 'valid' || this.acceptsAuthorization(req.headers.authorization) || this.knobs.apiKeys.includes(headerText(req.headers['x-api-key']) ?? '');
    return ok ? json(200, { ok: true }) : json(401, { error: 'unauthorized' });
  }

  /** Keeps what a client presented, so the suite can prove none of it reached a workflow history. */
  private recordPresented(req: IncomingMessage): void {
    const authorization = headerText(req.headers.authorization) ?? '';
    const [scheme, value = ''] = authorization.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) this.issued.presented.push(value);
    if (scheme?.toLowerCase() === 'basic' && value) this.issued.presented.push(Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':'));
    const apiKey = headerText(req.headers['x-api-key']);
    if (apiKey) this.issued.presented.push(apiKey);
  }

  /**
   * Recomputes the signature of an OAuth 1.0a request (RFC 5849 §3.4), written out here rather than
   * with the oauth-1.0a package so that tests of Custodian's signing are not checked against itself.
   */
  private checkOAuth1(params: Map<string, string>, method: string, host: string, url: URL): OAuth1Check {
    const token = this.knobs.oauth1Tokens.find((t) => t.token === params.get('oauth_token'));
    if (!token) return 'unknown_token';
    return this.checkOAuth1Signature(params, { method, host, url, tokenSecret: token.tokenSecret });
  }

  /** The signature check alone, for a given token secret ('' in a request token call) and form body. */
  private checkOAuth1Signature(params: Map<string, string>, request: SignedRequest): OAuth1Check {
    const signature = params.get('oauth_signature');
    const signatureMethod = params.get('oauth_signature_method');
    const wellFormed =
      params.get('oauth_consumer_key') === this.knobs.clientId &&
      (params.get('oauth_version') ?? '1.0') === '1.0' &&
      params.has('oauth_timestamp') &&
      params.has('oauth_nonce') &&
      signature !== undefined;
    if (!wellFormed) return 'bad_signature';
    const key = `${rfc3986(this.knobs.clientSecret)}&${rfc3986(request.tokenSecret)}`;
    let expected: string;
    if (signatureMethod === 'PLAINTEXT') expected = key;
    else if (signatureMethod === 'HMAC-SHA1') expected = createHmac('sha1', key).update(oauth1BaseString(params, request)).digest('base64');
    else return 'bad_signature';
    const a = Buffer.from(expected);
    const b = Buffer.from(signature);
    return a.length === b.length && timingSafeEqual(a, b) ? 'valid' : 'bad_signature';
  }

  /** Token calls of OAuth 1.0a take the queued faults and latency of `/token`. */
  private async oauth1TokenCall(res: ServerResponse, call: FakeProviderCall, answer: () => Outcome): Promise<void> {
    const fault = this.faults.shift();
    if (fault && 'timeout' in fault) return; // held open until close() destroys the socket
    await delay(this.knobs.latencyMs);
    send(res, call, fault ? faultOutcome(fault) : answer());
  }

  /** RFC 5849 §2.1: a consumer-signed request (no token) with `oauth_callback`; issues a request token. */
  private oauth1RequestToken(req: IncomingMessage, call: FakeProviderCall, url: URL): Outcome {
    const params = oauth1Params(req.headers.authorization);
    if (params === undefined) return oauth1Problem(401, 'parameter_absent');
    if (params.has('oauth_token')) return oauth1Problem(400, 'parameter_rejected');
    call.oauth1 = this.checkOAuth1Signature(params, { method: call.method, host: req.headers.host ?? '', url, tokenSecret: '', body: formBody(call) });
    if (call.oauth1 !== 'valid') return oauth1Problem(401, 'signature_invalid');
    const callback = params.get('oauth_callback');
    if (callback === undefined || !URL.canParse(callback)) return oauth1Problem(400, 'parameter_absent');
    const token = this.issue('fake-rqt-', this.issued.oauth1);
    const tokenSecret = this.issue('fake-rqs-', this.issued.oauth1);
    this.requestTokens.set(token, { tokenSecret, callback });
    return form(200, { oauth_token: token, oauth_token_secret: tokenSecret, oauth_callback_confirmed: 'true' });
  }

  /** RFC 5849 §2.2: the user "approves"; back to the recorded callback with the token and a verifier, its own query kept. */
  private oauth1Authorize(query: URLSearchParams): Outcome {
    const token = query.get('oauth_token') ?? '';
    const pending = this.requestTokens.get(token);
    if (!pending) return oauth1Problem(400, 'token_rejected');
    pending.verifier = this.issue('fake-ver-', this.issued.oauth1);
    const location = new URL(pending.callback);
    location.searchParams.set('oauth_token', token);
    location.searchParams.set('oauth_verifier', pending.verifier);
    return { status: 302, payload: '', headers: { location: location.toString() } };
  }

  /** RFC 5849 §2.3: signed with the request token's secret, with the verifier; single use; issues an access token `/verify` accepts. */
  private oauth1AccessToken(req: IncomingMessage, call: FakeProviderCall, url: URL): Outcome {
    const params = oauth1Params(req.headers.authorization);
    if (params === undefined) return oauth1Problem(401, 'parameter_absent');
    const token = params.get('oauth_token') ?? '';
    const pending = this.requestTokens.get(token);
    if (!pending) {
      call.oauth1 = 'unknown_token';
      return oauth1Problem(401, 'token_rejected');
    }
    this.requestTokens.delete(token); // single use, even when the rest of the exchange fails
    call.oauth1 = this.checkOAuth1Signature(params, { method: call.method, host: req.headers.host ?? '', url, tokenSecret: pending.tokenSecret, body: formBody(call) });
    if (call.oauth1 !== 'valid') return oauth1Problem(401, 'signature_invalid');
    if (pending.verifier === undefined || params.get('oauth_verifier') !== pending.verifier) return oauth1Problem(401, 'verifier_invalid');
    const accessToken = this.issue('fake-o1t-', this.issued.oauth1);
    const accessTokenSecret = this.issue('fake-o1s-', this.issued.oauth1);
    this.knobs.oauth1Tokens.push({ token: accessToken, tokenSecret: accessTokenSecret });
    return form(200, { oauth_token: accessToken, oauth_token_secret: accessTokenSecret, user_id: 'fake-user-1' });
  }

  private acceptsAuthorization(header: string | undefined): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1];
    if (bearer !== undefined) return this.validAccessTokens.has(bearer) || this.knobs.apiKeys.includes(bearer);
    const basic = basicCredentials(header);
    return basic !== undefined && this.knobs.basicUsers.some((user) => user.username === basic.username && user.password === basic.password);
  }

  private issue(prefix: string, into: string[]): string {
    const secret = `${prefix}${randomBytes(16).toString('hex')}`;
    into.push(secret);
    return secret;
  }
}

function json(status: number, body: unknown): Outcome {
  return { status, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** The body's parameters when it is form-encoded (only those are signed, RFC 5849 §3.4.1.3.1). */
function formBody(call: FakeProviderCall): Body | undefined {
  return (call.contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded' ? call.body : undefined;
}

function form(status: number, body: Record<string, string>): Outcome {
  return { status, payload: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/** An OAuth 1.0a refusal, reported the OAuth Problem Reporting way (`oauth_problem=`). */
function oauth1Problem(status: number, problem: string): Outcome {
  return form(status, { oauth_problem: problem });
}

function invalidGrant(): Outcome {
  return json(400, { error: 'invalid_grant' });
}

function faultOutcome(fault: Exclude<FakeFault, { timeout: true }>): Outcome {
  if ('malformed' in fault) return { status: 200, payload: '<html>not json', headers: { 'content-type': 'application/json' } };
  const outcome = json(fault.status, fault.body ?? { error: 'injected_fault' });
  if (fault.retryAfterSeconds !== undefined) outcome.headers = { ...outcome.headers, 'retry-after': String(fault.retryAfterSeconds) };
  return outcome;
}

/** Answers once; records the status on `call`. Silently drops answers to sockets already destroyed. */
function send(res: ServerResponse, call: FakeProviderCall | undefined, outcome: Outcome): void {
  if (call) call.status = outcome.status;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(outcome.status, outcome.headers);
  res.end(outcome.payload);
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form or JSON body as an object; `{}` for none or other types; undefined when unparsable. */
function parseBody(contentType: string | undefined, raw: string): Body | undefined {
  if (raw === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (type !== 'application/json') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Client credentials from HTTP Basic (`client_secret_basic`) or the body (`client_secret_post`). */
function clientCredentialsOf(authorization: string | undefined, body: Body): ClientCredentials {
  const basic = basicCredentials(authorization);
  if (basic) return { kind: 'basic', clientId: basic.username, clientSecret: basic.password };
  const clientId = text(body.client_id);
  const clientSecret = text(body.client_secret);
  if (clientSecret !== undefined) return { kind: 'post', clientId, clientSecret };
  return { kind: 'none', clientId };
}

/** Username and password of a Basic header (form-decoded, as RFC 6749 §2.3.1 requires of clients). */
function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: formDecode(decoded.slice(0, colon)), password: formDecode(decoded.slice(colon + 1)) };
}

/** The parameters of an `Authorization: OAuth k="v", …` header (percent-decoded, `realm` left out); undefined for other schemes. */
function oauth1Params(header: string | undefined): Map<string, string> | undefined {
  const match = /^OAuth\s+(.*)$/is.exec(header ?? '');
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const pair of match[1]!.matchAll(/([^\s=,]+)\s*=\s*"([^"]*)"/g)) {
    const name = percentDecode(pair[1]!);
    if (name !== 'realm') params.set(name, percentDecode(pair[2]!));
  }
  return params;
}

/**
 * RFC 5849 §3.4.1 signature base string: METHOD & encoded base URI & encoded normalised parameters
 * (query parameters, form body parameters, and the header's oauth_* parameters except the signature).
 */
function oauth1BaseString(params: Map<string, string>, request: SignedRequest): string {
  const { url } = request;
  // §3.4.1.2: scheme and host lower-case; the fake only listens on plain http, where :80 is the default.
  const authority = request.host.toLowerCase().replace(/:80$/, '');
  const baseUri = `http://${authority}${url.pathname}`;
  const pairs: Array<[string, string]> = [...url.searchParams].map(([name, value]) => [rfc3986(name), rfc3986(value)]);
  for (const [name, value] of Object.entries(request.body ?? {})) if (typeof value === 'string') pairs.push([rfc3986(name), rfc3986(value)]);
  for (const [name, value] of params) if (name !== 'oauth_signature') pairs.push([rfc3986(name), rfc3986(value)]);
  // §3.4.1.3.2: sort by encoded name, then by encoded value (byte order).
  pairs.sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0));
  const normalized = pairs.map(([name, value]) => `${name}=${value}`).join('&');
  return [request.method.toUpperCase(), rfc3986(baseUri), rfc3986(normalized)].join('&');
}

/** RFC 5849 §3.6 / RFC 3986 percent-encoding: everything but ALPHA, DIGIT, '-', '.', '_' and '~'. */
function rfc3986(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function s256(verifier: string | undefined): string | undefined {
  return verifier === undefined ? undefined : createHash('sha256').update(verifier).digest('base64url');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
