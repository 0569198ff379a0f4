/**
 * TWO_STEP endpoints of the fake provider (mounted under `/two-step/…`): token endpoints that check the
 * templated request (method, body format, headers), verify RS256 JWT assertions and signed SAML
 * assertions with the public key of a key pair made here, issue tokens (optionally with a rotating
 * refresh token), count their calls, and refuse unknown credentials (401) or everything (`refuse`).
 * Every token issued and every credential received is remembered for the history audits.
 */
import { createHash, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { FakeProvider, FakeRouteAnswer, FakeRouteRequest } from '../fake-provider';

/** What the fake accepts and how it answers; mutable at runtime. */
export interface TwoStepKnobs {
  /** Username → password accepted by the login endpoints. */
  users: Record<string, string>;
  /** The API key `/two-step/login` requires in `x-api-key`. */
  apiKey: string;
  /** Seconds in `expires_in` answers; null leaves expiry out. */
  expiresIn: number | null;
  /** When true every token endpoint answers 401 whatever it is sent. */
  refuse: boolean;
  /** When true `/two-step/login` also issues a refresh token (a JWT whose `exp` is `refreshTokenLifetimeSeconds` away). */
  issueRefreshTokens: boolean;
  refreshTokenLifetimeSeconds: number;
}

/** The mounted endpoints' state. */
export interface TwoStepFake {
  readonly knobs: TwoStepKnobs;
  /** PEM (PKCS#8) of the key the assertions must be signed with; the fake verifies with its public half. */
  readonly privateKeyPem: string;
  /** Calls per endpoint path, answered or refused. */
  readonly counts: Map<string, number>;
  /** The tokens issued, in order. */
  readonly tokens: string[];
  /** Claims of the JWT assertions that verified. */
  readonly verifiedClaims: Record<string, unknown>[];
  /** The SAML assertions (decoded XML) that verified. */
  readonly verifiedSaml: string[];
  /** Whether `token` was issued and not revoked. */
  isValid(token: string): boolean;
  /** Invalidates every token and refresh token issued. */
  revokeAll(): void;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SAML_BEARER = 'urn:ietf:params:oauth:grant-type:saml2-bearer';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Mounts the TWO_STEP endpoints on `provider`. */
export function mountTwoStep(provider: FakeProvider, knobs: Partial<TwoStepKnobs> = {}): TwoStepFake {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const state = new TwoStepState(provider, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey, {
    users: { 'api-user': 'correct-horse-battery' },
    apiKey: 'fake-two-step-api-key-7d1e',
    expiresIn: 3600,
    refuse: false,
    issueRefreshTokens: false,
    refreshTokenLifetimeSeconds: 1800,
    ...knobs,
  });
  provider.rememberSecrets(state.privateKeyPem, state.knobs.apiKey, ...Object.values(state.knobs.users));
  const route = (method: string, path: string, handler: (request: FakeRouteRequest) => FakeRouteAnswer) =>
    provider.mount(method, path, (request) => state.answer(path, request, handler));
  route('POST', '/two-step/login', (request) => state.login(request));
  route('POST', '/two-step/refresh', (request) => state.refresh(request));
  route('POST', '/two-step/form-token', (request) => state.formToken(request));
  route('GET', '/two-step/session', (request) => state.session(request));
  route('GET', '/two-step/discovery', () => ({ status: 200, body: { token_endpoint: `${provider.url}/two-step/form-token` } }));
  route('POST', '/two-step/jwt-bearer', (request) => state.jwtBearer(request));
  route('POST', '/two-step/saml-bearer', (request) => state.samlBearer(request));
  route('POST', '/two-step/xml-session', (request) => state.xmlSession(request));
  route('GET', '/two-step/api', (request) => state.api(request));
  return state;
}

class TwoStepState implements TwoStepFake {
  readonly counts = new Map<string, number>();
  readonly tokens: string[] = [];
  readonly verifiedClaims: Record<string, unknown>[] = [];
  readonly verifiedSaml: string[] = [];
  private readonly valid = new Set<string>();
  private readonly validRefreshTokens = new Set<string>();

  constructor(
    private readonly provider: FakeProvider,
    readonly privateKeyPem: string,
    private readonly publicKey: KeyObject,
    readonly knobs: TwoStepKnobs,
  ) {}

  isValid(token: string): boolean {
    return this.valid.has(token);
  }

  revokeAll(): void {
    this.valid.clear();
    this.validRefreshTokens.clear();
  }

  /** Counts the call, applies a queued fault or `refuse`, records the body, then runs the endpoint. */
  answer(path: string, request: FakeRouteRequest, handler: (request: FakeRouteRequest) => FakeRouteAnswer): FakeRouteAnswer {
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    request.call.body = request.body;
    const fault = this.provider.takeFault();
    if (fault && 'status' in fault) return { status: fault.status, body: fault.body ?? { error: 'server_error' }, headers: fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) } };
    if (fault && 'malformed' in fault) return { status: 200, body: 'not json' };
    if (this.knobs.refuse) return refused('refused by the fake');
    return handler(request);
  }

  /** JSON login: `{username, password}` with `x-api-key`; answers `{data: {session: {token, expires_in}}}`. */
  login({ req, body }: FakeRouteRequest): FakeRouteAnswer {
    if (!req.headers['content-type']?.startsWith('application/json')) return { status: 415, body: { error: 'expected JSON' } };
    this.provider.rememberSecrets(String(body.password ?? ''));
    if (req.headers['x-api-key'] !== this.knobs.apiKey) return refused('bad api key');
    if (!this.userOk(body.username, body.password)) return refused('unknown user');
    const token = this.issue();
    const session: Record<string, unknown> = { token, ...(this.knobs.expiresIn === null ? {} : { expires_in: this.knobs.expiresIn }) };
    if (this.knobs.issueRefreshTokens) session.refresh = this.issueRefreshToken();
    return { status: 200, body: { data: { session } } };
  }

  /** JSON refresh: `{refresh_token}` (single use) with `x-api-key`. */
  refresh({ req, body }: FakeRouteRequest): FakeRouteAnswer {
    if (req.headers['x-api-key'] !== this.knobs.apiKey) return refused('bad api key');
    const presented = String(body.refresh_token ?? '');
    if (!this.validRefreshTokens.delete(presented)) return { status: 400, body: { error: 'invalid_grant' } };
    const token = this.issue();
    return { status: 200, body: { data: { session: { token, expires_in: this.knobs.expiresIn ?? 3600, refresh: this.issueRefreshToken() } } } };
  }

  /** Form client credentials with `Authorization: Basic base64(client:secret)`; answers `{access_token, expires_in}`. */
  formToken({ req, body }: FakeRouteRequest): FakeRouteAnswer {
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return { status: 415, body: { error: 'expected a form' } };
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [clientId, clientSecret] = Buffer.from(basic ?? '', 'base64').toString('utf8').split(':');
    if (clientId !== this.provider.knobs.clientId || clientSecret !== this.provider.knobs.clientSecret) return refused('bad client');
    if (body.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    return { status: 200, body: { access_token: this.issue(), expires_in: this.knobs.expiresIn ?? undefined, scope: body.scope } };
  }

  /** GET with the credentials in the query (`?user=&password=`); answers the bare token as text. */
  session({ url }: FakeRouteRequest): FakeRouteAnswer {
    const user = url.searchParams.get('user');
    const password = url.searchParams.get('password');
    this.provider.rememberSecrets(password ?? '');
    if (!this.userOk(user, password)) return refused('unknown user');
    return { status: 200, body: this.issue(), headers: { 'content-type': 'text/plain' } };
  }

  /**
   * RFC 7523 grant (`grant_type=…jwt-bearer&assertion=`) or client assertion (`client_assertion_type=…`):
   * the JWT must verify (RS256) with the fake's public key, name `aud` = this endpoint, and not be expired
   * relative to its own `iat`.
   */
  jwtBearer({ body, url }: FakeRouteRequest): FakeRouteAnswer {
    const grant = body.grant_type === JWT_BEARER ? text(body.assertion) : body.client_assertion_type === CLIENT_ASSERTION ? text(body.client_assertion) : undefined;
    if (grant === undefined) return { status: 400, body: { error: 'invalid_request', error_description: 'no assertion' } };
    this.provider.rememberSecrets(grant);
    const claims = this.verifyJwt(grant);
    if (!claims) return { status: 400, body: { error: 'invalid_grant', error_description: 'bad signature' } };
    const audience = `${this.provider.url}${url.pathname}`;
    if (claims.aud !== audience) return { status: 400, body: { error: 'invalid_grant', error_description: `audience must be ${audience}` } };
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp <= claims.iat) return { status: 400, body: { error: 'invalid_grant', error_description: 'bad lifetime' } };
    this.verifiedClaims.push(claims);
    return { status: 200, body: { access_token: this.issue(), token_type: 'Bearer', expires_in: this.knobs.expiresIn ?? undefined, instance_url: `${this.provider.url}/instance` } };
  }

  /** RFC 7522 grant: a base64 SAML assertion whose enveloped signature verifies with the fake's public key. */
  samlBearer({ body }: FakeRouteRequest): FakeRouteAnswer {
    if (body.grant_type !== SAML_BEARER) return { status: 400, body: { error: 'unsupported_grant_type' } };
    const assertion = text(body.assertion);
    if (assertion === undefined) return { status: 400, body: { error: 'invalid_request' } };
    this.provider.rememberSecrets(assertion);
    const xml = Buffer.from(assertion, 'base64').toString('utf8');
    if (!this.verifySaml(xml)) return { status: 400, body: { error: 'invalid_grant', error_description: 'bad SAML signature' } };
    this.verifiedSaml.push(xml);
    return { status: 200, body: { access_token: this.issue(), token_type: 'Bearer', expires_in: this.knobs.expiresIn ?? undefined } };
  }

  /** An XML gateway: `<request><login><userid/><password/></login></request>` → `<response>…<sessionid/>…</response>`. */
  xmlSession({ req, rawBody }: FakeRouteRequest): FakeRouteAnswer {
    if (req.headers['content-type'] !== 'application/xml') return { status: 415, body: 'expected XML' };
    const user = /<userid>([^<]*)<\/userid>/.exec(rawBody)?.[1];
    const password = /<password>([^<]*)<\/password>/.exec(rawBody)?.[1];
    this.provider.rememberSecrets(password ?? '');
    if (!this.userOk(user, password)) return { status: 401, body: '<response><status>failure</status></response>', headers: { 'content-type': 'application/xml' } };
    const token = this.issue();
    const expires = new Date(Date.now() + (this.knobs.expiresIn ?? 3600) * 1000).toISOString();
    const xml = `<?xml version="1.0" encoding="UTF-8"?><response><operation><result><data><api><sessionid>${token}</sessionid></api></data></result><authentication><sessiontimeout>${expires}</sessiontimeout></authentication></operation></response>`;
    return { status: 200, body: xml, headers: { 'content-type': 'application/xml' } };
  }

  /** A protected API: 200 with `Authorization: Bearer <valid token>` or `x-session: <valid token>`. */
  api({ req }: FakeRouteRequest): FakeRouteAnswer {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof req.headers['x-session'] === 'string' ? req.headers['x-session'] : undefined);
    return token !== undefined && this.valid.has(token) ? { status: 200, body: { ok: true } } : { status: 401, body: { error: 'invalid_token' } };
  }

  private userOk(user: unknown, password: unknown): boolean {
    return typeof user === 'string' && Object.hasOwn(this.knobs.users, user) && this.knobs.users[user] === password;
  }

  private issue(): string {
    const token = `fake-two-step-token-${randomBytes(12).toString('hex')}`;
    this.tokens.push(token);
    this.valid.add(token);
    this.provider.rememberSecrets(token);
    return token;
  }

  /** A refresh token that is a JWT (unsigned; only its `exp` matters to the client) expiring in `refreshTokenLifetimeSeconds`. */
  private issueRefreshToken(): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + this.knobs.refreshTokenLifetimeSeconds;
    const token = `${encode({ alg: 'none' })}.${encode({ exp, jti: randomBytes(8).toString('hex') })}.${randomBytes(8).toString('base64url')}`;
    this.validRefreshTokens.add(token);
    this.provider.rememberSecrets(token);
    return token;
  }

  private verifyJwt(jwt: string): Record<string, unknown> | undefined {
    const [header, payload, signature] = jwt.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return undefined;
    const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (parsedHeader.alg !== 'RS256') return undefined;
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'))) return undefined;
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Checks an enveloped signature (RSA-SHA256, SHA-256 digest, exclusive c14n) on a document sent in
   * canonical form: the digest covers the assertion with its Signature element removed, and the
   * signature the SignedInfo element with the ds namespace declared on it (its c14n as an apex).
   */
  private verifySaml(xml: string): boolean {
    const signature = /<ds:Signature xmlns:ds="[^"]+">[\s\S]*?<\/ds:Signature>/.exec(xml)?.[0];
    if (!signature) return false;
    const signedInfo = /<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/.exec(signature)?.[0];
    const digest = /<ds:DigestValue>([^<]+)<\/ds:DigestValue>/.exec(signature)?.[1];
    const value = /<ds:SignatureValue>([^<]+)<\/ds:SignatureValue>/.exec(signature)?.[1];
    if (!signedInfo || !digest || !value) return false;
    const unsigned = xml.replace(signature, '');
    if (createHash('sha256').update(unsigned, 'utf8').digest('base64') !== digest) return false;
    const canonicalSignedInfo = signedInfo.replace('<ds:SignedInfo>', `<ds:SignedInfo xmlns:ds="${DSIG}">`);
    return verify('sha256', Buffer.from(canonicalSignedInfo, 'utf8'), this.publicKey, Buffer.from(value, 'base64'));
  }

}

function refused(reason: string): FakeRouteAnswer {
  return { status: 401, body: { error: 'invalid_client', error_description: reason } };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
