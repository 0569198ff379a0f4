/**
 * A fake GitHub App on a fake provider: the app's installation page
 * (`GET /apps/<slug>/installations/new`, which sends the browser to the setup URL — or, with user
 * authorization, to the callback URL with a code — carrying `installation_id`, `setup_action` and the
 * state), the installation token endpoint (`POST /app/installations/:id/access_tokens`, which checks
 * the RS256 JWT against the app's public key: signature, `iss` = app id, `iat`/`exp` bounds) and
 * GitHub's user token endpoint (`POST /login/oauth/access_token`: code exchange and rotating refresh).
 * Every token, code, JWT and the private key are registered for the history audits.
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { FakeProvider, FakeProviderCall, FakeRouteAnswer, FakeRouteRequest } from '../fake-provider';
import { registerSecrets } from '../secret-registry';

/** Behaviour switches, mutable at runtime. */
export interface FakeGithubAppKnobs {
  /** Where the installation page sends the browser (the app's "Setup URL"); APP flows. */
  setupUrl: string | null;
  /** Where it sends the browser when `requestUserAuthorization` is on (the app's "Callback URL"); CUSTOM flows. */
  callbackUrl: string | null;
  /** "Request user authorization (OAuth) during installation": the redirect carries a user code. */
  requestUserAuthorization: boolean;
  /** `setup_action` of the redirect: `install`, `update`, or `request` (awaiting an owner's approval: no installation id). */
  setupAction: 'install' | 'update' | 'request';
  /** The installation the page reports; null: a new one each visit. */
  installationId: string | null;
  /** Lifetime of installation tokens (GitHub: one hour). */
  tokenLifetimeSeconds: number;
  /** When true the token endpoint answers 401 to every JWT (a revoked or wrong key). */
  refuseJwt: boolean;
  /** User tokens' lifetime; null: user tokens that never expire (and no refresh token). */
  userTokenLifetimeSeconds: number | null;
  /** The app's OAuth client (user authorization). */
  clientId: string;
  clientSecret: string;
}

/** Why the token endpoint refused a JWT. */
export type JwtVerdict = 'valid' | 'malformed' | 'bad_signature' | 'wrong_issuer' | 'expired' | 'not_yet_valid' | 'too_long';

/** A fake GitHub App mounted on a fake provider. */
export interface FakeGithubApp {
  readonly provider: FakeProvider;
  readonly appId: string;
  /** PKCS#1 PEM, as GitHub hands it out. */
  readonly privateKey: string;
  /** The app's public page (`<provider>/apps/<slug>`), the integration's `app_link`. */
  readonly appLink: string;
  readonly knobs: FakeGithubAppKnobs;
  /** Installations that exist (an unknown one answers 404). */
  readonly installations: Set<string>;
  /** Every installation token issued. */
  readonly issuedTokens: string[];
  /** What the token endpoint made of each JWT it was shown, in order. */
  readonly jwtVerdicts: JwtVerdict[];
  /** Every JWT the token endpoint was shown, in order. */
  readonly presentedJwts: string[];
  /** The installations page reports this installation id whatever GitHub would (a browser that forges the redirect). */
  forgeInstallationId: string | null;
  /** Creates an installation and returns its id. */
  addInstallation(): string;
  /** Lets the user of a user token access another installation as well (GitHub's `GET /user/installations`). */
  grantUserAccess(userToken: string, installationId: string): void;
  /** Installation token calls, optionally of one installation. */
  tokenCalls(installationId?: string): FakeProviderCall[];
  /** User token endpoint calls, optionally of one grant type. */
  userTokenCalls(grantType?: string): FakeProviderCall[];
  isTokenValid(token: string): boolean;
  isUserTokenValid(token: string): boolean;
  /** Revokes every installation and user token issued so far. */
  revokeTokens(): void;
  /** The APP catalog entry pointing here. */
  appEntry(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** The CUSTOM catalog entry pointing here. */
  customEntry(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** The integration settings of this app (`custom` and `customSecrets` of IntegrationFields). */
  integrationSettings(): { custom: Record<string, string>; customSecrets: Record<string, string> };
}

const SLUG = 'custodian-fake-app';
// GitHub accepts a JWT whose `iat` is slightly ahead of its clock, and an `exp` at most ten minutes ahead.
const CLOCK_SLACK_S = 30;
const MAX_JWT_LIFETIME_S = 600;

let keyPair: { privateKey: string; publicKey: KeyObject } | undefined;

/** One RSA key pair for the whole run (generating one takes a while). */
function appKeyPair(): { privateKey: string; publicKey: KeyObject } {
  if (!keyPair) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyPair = { privateKey: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey: pair.publicKey };
  }
  return keyPair;
}

/** An APP catalog entry whose installation page and token endpoint are a fake GitHub App's on `providerUrl`. */
export function githubAppEntry(providerUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    display_name: 'Fake GitHub App',
    categories: ['dev-tools'],
    docs: 'https://example.com/fake-github-app',
    auth_mode: 'APP',
    authorization_url: '$' + '{connectionConfig.appPublicLink}/installations/new',
    token_url: `${providerUrl}/app/installations/` + '$' + '{connectionConfig.installation_id}/access_tokens',
    proxy: { base_url: providerUrl },
    connection_config: {
      appPublicLink: { type: 'string', title: 'App Public Link', description: 'The app page', format: 'uri', pattern: '^https?://.*$', automated: true },
      installation_id: { type: 'string', title: 'Installation ID', description: 'The installation', pattern: '^[0-9]{1,20}$', automated: true },
    },
    ...overrides,
  };
}

/** The CUSTOM entry of the same fake app: GitHub's user token endpoint and the installation token endpoint. */
export function githubCustomEntry(providerUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const appEntry = githubAppEntry(providerUrl);
  return {
    ...appEntry,
    display_name: 'Fake GitHub App OAuth',
    auth_mode: 'CUSTOM',
    token_url: { OAUTH2: `${providerUrl}/login/oauth/access_token`, APP: appEntry['token_url'] },
    ...overrides,
  };
}

/** The knobs' defaults. */
export function defaultGithubAppKnobs(): FakeGithubAppKnobs {
  return {
    setupUrl: null,
    callbackUrl: null,
    requestUserAuthorization: false,
    setupAction: 'install',
    installationId: null,
    tokenLifetimeSeconds: 3600,
    refuseJwt: false,
    userTokenLifetimeSeconds: 8 * 3600,
    clientId: 'Iv1.fakeappclient',
    clientSecret: 'fake-app-client-secret',
  };
}

/** Mounts a fake GitHub App on `provider`. */
export function mountGithubApp(provider: FakeProvider, knobs: Partial<FakeGithubAppKnobs> = {}): FakeGithubApp {
  const app = new GithubAppFake(provider, { ...defaultGithubAppKnobs(), ...knobs });
  provider.mount('GET', `/apps/${SLUG}/installations/new`, (request) => app.installationPage(request));
  provider.mount('POST', '/app/installations/:id/access_tokens', (request) => app.accessToken(request));
  provider.mount('POST', '/login/oauth/access_token', (request) => app.userToken(request));
  provider.mount('GET', '/user/installations', (request) => app.userInstallations(request));
  registerSecrets(() => [app.privateKey, ...keyLines(app.privateKey), app.knobs.clientSecret, ...app.secrets, ...app.presentedJwts]);
  return app;
}

class GithubAppFake implements FakeGithubApp {
  readonly appId = String(100_000 + Math.floor(Math.random() * 800_000));
  readonly privateKey = appKeyPair().privateKey;
  readonly installations = new Set<string>();
  readonly issuedTokens: string[] = [];
  readonly jwtVerdicts: JwtVerdict[] = [];
  readonly presentedJwts: string[] = [];
  readonly secrets: string[] = [];
  private readonly validTokens = new Set<string>();
  private readonly validUserTokens = new Set<string>();
  private readonly validRefreshTokens = new Set<string>();
  private readonly codes = new Map<string, { installationId: string }>();
  /** User access and refresh tokens → the installations their user can access. */
  private readonly userAccess = new Map<string, string[]>();
  forgeInstallationId: string | null = null;
  private nextInstallation = 38_000_000 + Math.floor(Math.random() * 1_000_000);

  constructor(readonly provider: FakeProvider, readonly knobs: FakeGithubAppKnobs) {}

  get appLink(): string {
    return `${this.provider.url}/apps/${SLUG}`;
  }

  addInstallation(): string {
    const id = String(this.nextInstallation++);
    this.installations.add(id);
    return id;
  }

  tokenCalls(installationId?: string): FakeProviderCall[] {
    return this.provider.calls.filter((call) => /^\/app\/installations\/[^/]+\/access_tokens$/.test(call.path) && (installationId === undefined || call.path.split('/')[3] === installationId));
  }

  userTokenCalls(grantType?: string): FakeProviderCall[] {
    return this.provider.calls.filter((call) => call.path === '/login/oauth/access_token' && (grantType === undefined || call.grantType === grantType));
  }

  isTokenValid(token: string): boolean {
    return this.validTokens.has(token);
  }

  isUserTokenValid(token: string): boolean {
    return this.validUserTokens.has(token);
  }

  revokeTokens(): void {
    this.validTokens.clear();
    this.validUserTokens.clear();
    this.validRefreshTokens.clear();
  }

  appEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return githubAppEntry(this.provider.url, overrides);
  }

  customEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return githubCustomEntry(this.provider.url, overrides);
  }

  integrationSettings(): { custom: Record<string, string>; customSecrets: Record<string, string> } {
    return { custom: { app_id: this.appId, app_link: this.appLink }, customSecrets: { private_key: this.privateKey } };
  }

  installationPage({ url }: FakeRouteRequest): FakeRouteAnswer {
    const userAuthorization = this.knobs.requestUserAuthorization;
    const target = userAuthorization ? this.knobs.callbackUrl : this.knobs.setupUrl;
    if (target === null) return { status: 200, body: 'installed; this app has no setup URL', headers: { 'content-type': 'text/plain' } };
    const location = new URL(target);
    const state = url.searchParams.get('state');
    if (this.knobs.setupAction !== 'request') {
      const installationId = this.knobs.installationId ?? this.addInstallation();
      this.installations.add(installationId);
      location.searchParams.set('installation_id', this.forgeInstallationId ?? installationId);
      if (userAuthorization) location.searchParams.set('code', this.issueCode(installationId));
    }
    location.searchParams.set('setup_action', this.knobs.setupAction);
    // GitHub passes the installation page's state on to the setup or callback URL.
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, headers: { location: location.toString() } };
  }

  async accessToken({ req, params, call }: FakeRouteRequest): Promise<FakeRouteAnswer> {
    const fault = this.provider.takeFault();
    if (fault) return faultAnswer(fault);
    const jwt = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (jwt) this.presentedJwts.push(jwt);
    const verdict = jwt === undefined ? 'malformed' : this.checkJwt(jwt);
    this.jwtVerdicts.push(verdict);
    if (verdict !== 'valid' || this.knobs.refuseJwt) {
      return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
    }
    const installationId = params['id'] ?? '';
    if (!this.installations.has(installationId)) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    call.body = { installationId };
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.secrets.push(token);
    this.validTokens.add(token);
    // GitHub writes expires_at to the second, in UTC.
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + this.knobs.tokenLifetimeSeconds * 1000).toISOString().replace('.000Z', 'Z');
    return { status: 201, body: { token, expires_at: expiresAt, permissions: { contents: 'read', metadata: 'read' }, repository_selection: 'all' } };
  }

  userToken({ body, call }: FakeRouteRequest): FakeRouteAnswer {
    const grantType = typeof body['grant_type'] === 'string' ? body['grant_type'] : 'authorization_code';
    call.grantType = grantType;
    call.body = body;
    if (body['client_id'] !== this.knobs.clientId || body['client_secret'] !== this.knobs.clientSecret) {
      return { status: 200, body: { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' } };
    }
    if (grantType === 'refresh_token') {
      const refreshToken = String(body['refresh_token'] ?? '');
      call.refreshTokenUsed = refreshToken;
      // GitHub's refresh tokens are single-use: the answer carries a new one.
      if (!this.validRefreshTokens.delete(refreshToken)) return { status: 200, body: { error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' } };
      return { status: 200, body: this.userTokenSet(this.userAccess.get(refreshToken) ?? []) };
    }
    const code = String(body['code'] ?? '');
    const issued = this.codes.get(code);
    if (!issued || !this.codes.delete(code)) return { status: 200, body: { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' } };
    return { status: 200, body: this.userTokenSet([issued.installationId]) };
  }

  /** GitHub's `GET /user/installations` for a user token: the installations its user can access, paged. */
  userInstallations({ req, url }: FakeRouteRequest): FakeRouteAnswer {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!this.validUserTokens.has(token)) return { status: 401, body: { message: 'Bad credentials' } };
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const all = this.userAccess.get(token) ?? [];
    const installations = all.slice((page - 1) * perPage, page * perPage).map((id) => ({ id: Number(id), app_id: Number(this.appId) }));
    return { status: 200, body: { total_count: all.length, installations } };
  }

  /** Lets the user of `userToken` access another installation as well (an organisation they belong to). */
  grantUserAccess(userToken: string, installationId: string): void {
    this.userAccess.get(userToken)?.push(installationId);
  }

  private userTokenSet(installations: string[]): Record<string, unknown> {
    const accessToken = `ghu_${randomBytes(18).toString('base64url')}`;
    this.userAccess.set(accessToken, installations);
    this.validUserTokens.add(accessToken);
    this.secrets.push(accessToken);
    const lifetime = this.knobs.userTokenLifetimeSeconds;
    if (lifetime === null) return { access_token: accessToken, token_type: 'bearer', scope: '' };
    const refreshToken = `ghr_${randomBytes(30).toString('base64url')}`;
    this.userAccess.set(refreshToken, installations);
    this.validRefreshTokens.add(refreshToken);
    this.secrets.push(refreshToken);
    return { access_token: accessToken, expires_in: lifetime, refresh_token: refreshToken, refresh_token_expires_in: 15_897_600, token_type: 'bearer', scope: '' };
  }

  private issueCode(installationId: string): string {
    const code = `fake-gh-code-${randomBytes(10).toString('hex')}`;
    this.codes.set(code, { installationId });
    this.secrets.push(code);
    return code;
  }

  /** RFC 7515 RS256 signature with the app's public key, `iss` = the app id, and GitHub's time bounds. */
  private checkJwt(jwt: string): JwtVerdict {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'malformed';
    const [header, payload, signature] = parts as [string, string, string];
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown }).alg !== 'RS256') return 'malformed';
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as typeof claims;
    } catch {
      return 'malformed';
    }
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), appKeyPair().publicKey, Buffer.from(signature, 'base64url'))) return 'bad_signature';
    if (String(claims.iss) !== this.appId) return 'wrong_issuer';
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return 'malformed';
    const now = Date.now() / 1000;
    if (claims.iat > now + CLOCK_SLACK_S) return 'not_yet_valid';
    if (claims.exp <= now) return 'expired';
    if (claims.exp - claims.iat > MAX_JWT_LIFETIME_S || claims.exp > now + MAX_JWT_LIFETIME_S + CLOCK_SLACK_S) return 'too_long';
    return 'valid';
  }
}

/** A queued fault as the token endpoint's answer (a timeout never answers). */
function faultAnswer(fault: NonNullable<ReturnType<FakeProvider['takeFault']>>): FakeRouteAnswer | Promise<FakeRouteAnswer> {
  if ('timeout' in fault) return new Promise<FakeRouteAnswer>(() => undefined);
  if ('malformed' in fault) return { status: 201, body: 'not json', headers: { 'content-type': 'text/plain' } };
  const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
  return { status: fault.status, body: fault.body ?? { message: 'fault' }, headers };
}

/** The base64 lines of a PEM: a history stores the key JSON-escaped, so its lines are what a search can find. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
}
