import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import type { AppCredentials, CustomCredentials } from '../../../../providers/credentials';
import { authModeStrategy } from '../../../../providers/auth-modes';
import { app } from '../../../../providers/auth-modes/app';
import { custom } from '../../../../providers/auth-modes/custom';
import { userCanAccessInstallation } from '../../../../providers/auth-modes/user-installations';
import { APP_JWT_BACKDATE_SECONDS, APP_JWT_LIFETIME_SECONDS, privateKeyProblem, signAppJwt } from '../../../../providers/auth-modes/github-app-jwt';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes/auth-mode';
import { CustodianError } from '../../../../src/errors';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountGithubApp, type FakeGithubApp } from '../../../support/fake-modes/github-app';

// Far from the wall clock (a workflow's time under time skipping): expiries must be laid on it.
const NOW = new Date('2031-06-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const REDIRECT_URI = 'https://custodian.example.com/oauth/callback';

const call = (overrides: Partial<CallContext> = {}): CallContext => ({ now: NOW, timeoutMs: 10_000, ...overrides });

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectCode(error: unknown, code: string, kind?: 'permanent' | 'transient'): void {
  expect(error).to.be.instanceOf(CustodianError);
  expect((error as CustodianError).code).to.equal(code);
  if (kind) expect((error as ProviderCallError).kind).to.equal(kind);
}

describe('GitHub App modes (APP, CUSTOM) against a fake GitHub', () => {
  let provider: FakeProvider;
  let github: FakeGithubApp;
  let appEntry: ProviderEntry;
  let customEntry: ProviderEntry;

  const appClient = (): IntegrationClient => ({ clientId: null, clientSecret: null, scopes: [], custom: { ...github.integrationSettings().custom, ...github.integrationSettings().customSecrets } });
  const customClient = (): IntegrationClient => ({ ...appClient(), clientId: github.knobs.clientId, clientSecret: github.knobs.clientSecret });

  /** Starts an attempt with `strategy.begin` and follows the fake's installation page to where it sends the browser. */
  async function install(strategy: typeof app | typeof custom, entry: ProviderEntry, client: IntegrationClient, state = 'attempt-state-1'): Promise<{ url: string; received: Record<string, string>; connectionConfig: Record<string, unknown> }> {
    const redirect = await strategy.begin!({ entry, client, redirectUri: REDIRECT_URI, state, scopes: [], connectionConfig: {}, authorizationParams: {} }, call());
    const answer = await fetch(redirect.url, { redirect: 'manual' });
    const location = answer.headers.get('location');
    expect(answer.status, 'installation page redirects').to.equal(302);
    const back = new URL(location ?? '');
    return { url: redirect.url, received: Object.fromEntries(back.searchParams), connectionConfig: { ...redirect.connectionConfig } };
  }

  /** The user's token for a callback's code, straight from the fake's token endpoint. */
  async function exchangeUserCode(received: Record<string, string>): Promise<{ access_token: string }> {
    const answer = await fetch(`${provider.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: github.knobs.clientId, client_secret: github.knobs.clientSecret, code: received.code ?? '' }),
    });
    return (await answer.json()) as { access_token: string };
  }

  before(async () => {
    provider = await startFakeProvider();
  });

  beforeEach(() => {
    provider.reset();
    github = mountGithubApp(provider, { setupUrl: 'https://custodian.example.com/app-auth/connect', callbackUrl: REDIRECT_URI });
    appEntry = nangoEntrySchema.parse(github.appEntry()) as ProviderEntry;
    customEntry = nangoEntrySchema.parse(github.customEntry()) as ProviderEntry;
  });

  after(async () => {
    await provider.close();
  });

  describe('the app JWT', () => {
    it('is RS256 with iss = app id, iat backdated a minute and exp at most ten minutes after iat', () => {
      const jwt = signAppJwt({ appId: '4242', privateKey: github.privateKey, now: NOW });
      const [header, payload] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
      expect(header).to.deep.equal({ alg: 'RS256', typ: 'JWT' });
      const issuedAt = NOW.getTime() / 1000 - APP_JWT_BACKDATE_SECONDS;
      expect(payload).to.deep.equal({ iat: issuedAt, exp: NOW.getTime() / 1000 + APP_JWT_LIFETIME_SECONDS, iss: '4242' });
      expect(Number(payload!.exp) - Number(payload!.iat)).to.be.at.most(600);
    });

    it('accepts PKCS#1 and PKCS#8 RSA keys and names what is wrong with anything else', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      expect(privateKeyProblem(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())).to.equal(undefined);
      expect(privateKeyProblem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).to.equal(undefined);
      expect(privateKeyProblem('-----BEGIN RSA PRIVATE KEY-----\ntest\n-----END RSA PRIVATE KEY-----')).to.equal('is not a PEM private key');
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(privateKeyProblem(ec)).to.equal('is a ec key; GitHub Apps sign with RSA (RS256)');
      const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      expect(privateKeyProblem(short)).to.equal('is a 1024-bit RSA key; RS256 needs 2048 bits or more');
    });
  });

  describe('APP', () => {
    it('is registered for auth_mode APP as a redirect flow that also comes back to /app-auth/connect', () => {
      expect(authModeStrategy('APP')).to.equal(app);
      expect(app.connect).to.deep.equal({ kind: 'redirect', callbackRoutes: ['/app-auth/connect'] });
      expect(app.upkeep(appEntry, {} as AppCredentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
    });

    it('sends the browser to the app link\'s installation page with the state, whatever app link the browser names', async () => {
      const redirect = await app.begin!(
        { entry: appEntry, client: appClient(), redirectUri: REDIRECT_URI, state: 'state-xyz', scopes: [], connectionConfig: { appPublicLink: 'https://evil.example.com' }, authorizationParams: {} },
        call(),
      );
      expect(redirect).to.deep.equal({ url: `${github.appLink}/installations/new?state=state-xyz`, attemptSecrets: {}, connectionConfig: { appPublicLink: github.appLink } });
    });

    it('refuses to begin for an integration without an app link', async () => {
      const client = { ...appClient(), custom: {} };
      const error = await rejection(app.begin!({ entry: appEntry, client, redirectUri: REDIRECT_URI, state: 's', scopes: [], connectionConfig: {}, authorizationParams: {} }, call()));
      expectCode(error, 'integration_missing_app');
    });

    it('completes an installation into an installation token GitHub accepts, expiring an hour after the caller\'s clock', async () => {
      const { received, connectionConfig } = await install(app, appEntry, appClient());
      expect(received).to.include({ setup_action: 'install', state: 'attempt-state-1' });
      const obtained = await app.complete({ entry: appEntry, client: appClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig }, call());
      const { credentials } = obtained;
      expect(github.isTokenValid(credentials.access_token)).to.equal(true);
      expect(credentials).to.include({ type: 'APP', installation_id: received.installation_id, expires_at: new Date(NOW.getTime() + HOUR_MS).toISOString() });
      expect(credentials.raw).to.include({ token: credentials.access_token, repository_selection: 'all' });
      expect(obtained.expiresAt?.toISOString()).to.equal(credentials.expires_at);
      expect(obtained.connectionConfig).to.deep.equal({ installation_id: received.installation_id, app_id: github.appId });
      expect(github.tokenCalls(received.installation_id)).to.have.length(1);
      expect(github.jwtVerdicts).to.deep.equal(['valid']);
      expect(credentials.jwtToken?.split('.')).to.have.length(3);
    });

    it('fails an installation awaiting an owner\'s approval (no installation_id) without calling GitHub', async () => {
      github.knobs.setupAction = 'request';
      const { received } = await install(app, appEntry, appClient());
      expect(received).to.deep.equal({ setup_action: 'request', state: 'attempt-state-1' });
      const error = await rejection(app.complete({ entry: appEntry, client: appClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call()));
      expectCode(error, 'app_installation_missing');
      expect((error as Error).message).to.equal('The callback carried no installation_id: the installation awaits an organisation owner\'s approval');
      expect(github.tokenCalls()).to.have.length(0);
    });

    it('refuses an installation_id that is not a number before it reaches the token URL', async () => {
      const received = { installation_id: '../../user', setup_action: 'install' };
      const error = await rejection(app.complete({ entry: appEntry, client: appClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call()));
      expectCode(error, 'app_installation_missing');
      expect(github.tokenCalls()).to.have.length(0);
    });

    it('renews by minting a new installation token, counted by GitHub', async () => {
      const installationId = github.addInstallation();
      const first = await app.renew({ entry: appEntry, client: appClient(), credentials: app.fromImport({ type: 'APP', app_id: github.appId, installation_id: installationId }, NOW), connectionConfig: {} }, call());
      expect(first.kind).to.equal('renewed');
      const firstCredentials = (first as { credentials: AppCredentials }).credentials;
      const later = new Date(NOW.getTime() + 50 * 60_000);
      const second = await app.renew({ entry: appEntry, client: appClient(), credentials: firstCredentials, connectionConfig: { installation_id: installationId } }, call({ now: later }));
      const secondCredentials = (second as { credentials: AppCredentials; expiresAt: Date }).credentials;
      expect(secondCredentials.access_token).to.not.equal(firstCredentials.access_token);
      expect(secondCredentials.expires_at).to.equal(new Date(later.getTime() + HOUR_MS).toISOString());
      expect(github.tokenCalls(installationId)).to.have.length(2);
      expect(github.jwtVerdicts).to.deep.equal(['valid', 'valid']);
    });

    it('imports an installation as credentials that expire at once, so the import check mints the first token', () => {
      expect(app.checksImports).to.equal(true);
      expect(app.importSchema.safeParse({ type: 'APP', app_id: '1', installation_id: '12' }).success).to.equal(true);
      expect(app.importSchema.safeParse({ type: 'APP', app_id: '1', installation_id: '12/../x' }).success).to.equal(false);
      const imported = app.fromImport({ type: 'APP', app_id: '1', installation_id: '12' }, NOW);
      expect(imported).to.deep.equal({ type: 'APP', access_token: '', expires_at: NOW.toISOString(), raw: {}, installation_id: '12' });
      expect(app.expiresAt(imported)).to.deep.equal(NOW);
      expect(app.secretsOf(imported)).to.deep.equal([]);
    });

    it('is refused for good (invalid_client) when GitHub cannot verify the JWT, and the JWT is not in the message', async () => {
      const installationId = github.addInstallation();
      github.knobs.refuseJwt = true;
      const error = await rejection(app.renew({ entry: appEntry, client: appClient(), credentials: app.fromImport({ installation_id: installationId }, NOW), connectionConfig: {} }, call()));
      expectCode(error, 'invalid_client', 'permanent');
      expect((error as ProviderCallError).httpStatus).to.equal(401);
      expect((error as Error).message).to.include('A JSON web token could not be decoded');
      expect(github.presentedJwts).to.have.length(1);
      expect((error as Error).message).to.not.include(github.presentedJwts[0]);
    });

    it('signs with the integration\'s key: a key that is not the app\'s is refused by GitHub', async () => {
      const installationId = github.addInstallation();
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const client = { ...appClient(), custom: { ...appClient().custom, private_key: otherKey } };
      const error = await rejection(app.renew({ entry: appEntry, client, credentials: app.fromImport({ installation_id: installationId }, NOW), connectionConfig: {} }, call()));
      expectCode(error, 'invalid_client', 'permanent');
      expect(github.jwtVerdicts).to.deep.equal(['bad_signature']);
    });

    it('reports an uninstalled (unknown) installation as app_installation_not_found, for good', async () => {
      const error = await rejection(app.renew({ entry: appEntry, client: appClient(), credentials: app.fromImport({ installation_id: '999' }, NOW), connectionConfig: {} }, call()));
      expectCode(error, 'app_installation_not_found', 'permanent');
      expect((error as ProviderCallError).httpStatus).to.equal(404);
    });

    it('treats GitHub\'s 5xx, 429 and garbled answers as transient', async () => {
      const installationId = github.addInstallation();
      const renew = () => rejection(app.renew({ entry: appEntry, client: appClient(), credentials: app.fromImport({ installation_id: installationId }, NOW), connectionConfig: {} }, call()));
      provider.failNext(1, { status: 503 });
      expectCode(await renew(), 'provider_server_error', 'transient');
      provider.failNext(1, { status: 429, retryAfterSeconds: 7 });
      const limited = await renew();
      expectCode(limited, 'provider_rate_limited', 'transient');
      expect((limited as ProviderCallError).retryAfterMs).to.equal(7000);
      provider.failNext(1, { malformed: true });
      expectCode(await renew(), 'provider_malformed_response', 'transient');
    });

    it('refuses for good, without calling GitHub, when the integration has no private key', async () => {
      const client = { ...appClient(), custom: { app_id: github.appId, app_link: github.appLink } };
      const error = await rejection(app.renew({ entry: appEntry, client, credentials: app.fromImport({ installation_id: github.addInstallation() }, NOW), connectionConfig: {} }, call()));
      expectCode(error, 'integration_missing_app', 'permanent');
      expect(github.tokenCalls()).to.have.length(0);
    });

    it('authorizes requests with the installation token and names the token and the JWT as secrets', async () => {
      const { credentials } = await app.complete({ entry: appEntry, client: appClient(), received: (await install(app, appEntry, appClient())).received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call());
      const request = app.authorize({ method: 'GET', url: new URL(`${provider.url}/repos`), headers: { 'x-trace': '1' } }, { entry: appEntry, credentials, connectionConfig: {}, client: appClient(), now: NOW });
      expect(request.headers).to.deep.equal({ authorization: `Bearer ${credentials.access_token}`, 'x-trace': '1' });
      expect(app.secretsOf(credentials)).to.deep.equal([credentials.access_token, credentials.jwtToken]);
    });

    it('takes integration credentials {type: APP, app_id, app_link, private_key}: the key kept secret and never shown', () => {
      const shape = app.integrationCredentials!;
      const body = { type: 'APP', app_id: github.appId, app_link: github.appLink, private_key: github.privateKey };
      const parsed = shape.schema.safeParse(body);
      expect(parsed.success).to.equal(true);
      expect(shape.toSettings(parsed.data!)).to.deep.equal({ clientId: null, clientSecret: null, custom: { app_id: github.appId, app_link: github.appLink }, customSecrets: { private_key: github.privateKey } });
      expect(shape.present(appClient())).to.deep.equal({ type: 'APP', app_id: github.appId, app_link: github.appLink, private_key: null });
      const bad = shape.schema.safeParse({ ...body, private_key: '-----BEGIN RSA PRIVATE KEY-----\ntest\n-----END RSA PRIVATE KEY-----' });
      expect(bad.success).to.equal(false);
      expect(bad.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).to.deep.equal([['private_key', 'is not a PEM private key (paste the .pem file GitHub gave you)']]);
      expect(shape.schema.safeParse({ ...body, client_id: 'x' }).success, 'unknown keys').to.equal(false);
    });
  });

  describe('CUSTOM', () => {
    beforeEach(() => {
      github.knobs.requestUserAuthorization = true;
    });

    it('is registered for auth_mode CUSTOM, back through the OAuth callback', () => {
      expect(authModeStrategy('CUSTOM')).to.equal(custom);
      expect(custom.connect).to.deep.equal({ kind: 'redirect' });
    });

    it('completes an installation with user authorization into both the installation token and the user\'s token', async () => {
      const { received, connectionConfig } = await install(custom, customEntry, customClient());
      expect(received).to.have.keys('code', 'installation_id', 'setup_action', 'state');
      const obtained = await custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig }, call());
      const { app: installation, user } = obtained.credentials;
      expect(github.isTokenValid(installation.access_token)).to.equal(true);
      expect(github.isUserTokenValid(user?.access_token ?? '')).to.equal(true);
      expect(user).to.include({ type: 'OAUTH2', expires_at: new Date(NOW.getTime() + 8 * HOUR_MS).toISOString() });
      expect(user?.refresh_token).to.match(/^ghr_/);
      // The installation token expires first (one hour against the user's eight).
      expect(obtained.expiresAt?.toISOString()).to.equal(new Date(NOW.getTime() + HOUR_MS).toISOString());
      expect(obtained.connectionConfig).to.deep.equal({ installation_id: received.installation_id, app_id: github.appId });
      const [exchange] = github.userTokenCalls('authorization_code');
      expect(exchange?.body).to.include({ code: received.code, redirect_uri: REDIRECT_URI, client_id: github.knobs.clientId });
      expect(custom.upkeep(customEntry, obtained.credentials)).to.deep.equal({ kind: 'refresh', beforeExpiry: true });
      expect(custom.secretsOf(obtained.credentials)).to.have.members([installation.access_token, installation.jwtToken, user?.access_token, user?.refresh_token]);
    });

    it('refuses a callback naming an installation GitHub does not list for the user who authorized', async () => {
      const someoneElses = github.addInstallation();
      github.forgeInstallationId = someoneElses;
      const { received } = await install(custom, customEntry, customClient());
      expect(received.installation_id).to.equal(someoneElses);
      const error = await rejection(custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call()));
      expectCode(error, 'app_installation_not_accessible');
      expect(provider.calls.filter((c) => c.path === '/user/installations')).to.have.length(1);
    });

    it('finds the installation on a later page of the user\'s installations', async () => {
      const { received } = await install(custom, customEntry, customClient());
      // The user's token can see 150 other installations before this one (two pages of 100).
      const user = await exchangeUserCode(received);
      for (let i = 0; i < 150; i++) github.grantUserAccess(user.access_token, github.addInstallation());
      const target = github.addInstallation();
      github.grantUserAccess(user.access_token, target);
      expect(await userCanAccessInstallation({ entry: customEntry, userToken: user.access_token, installationId: target, connectionConfig: {} }, call())).to.equal(true);
      expect(await userCanAccessInstallation({ entry: customEntry, userToken: user.access_token, installationId: '1', connectionConfig: {} }, call())).to.equal(false);
      expect(provider.calls.filter((c) => c.path === '/user/installations').map((c) => c.query.page)).to.deep.equal(['1', '2', '1', '2']);
    });

    it('completes an update of an installation (no code) with the installation token alone', async () => {
      github.knobs.requestUserAuthorization = false;
      github.knobs.setupAction = 'update';
      const { received } = await install(custom, customEntry, customClient());
      const obtained = await custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call());
      expect(obtained.credentials.user).to.equal(null);
      expect(github.isTokenValid(obtained.credentials.app.access_token)).to.equal(true);
      expect(github.userTokenCalls()).to.have.length(0);
      expect(custom.upkeep(customEntry, obtained.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
    });

    it('fails a new installation that carries no code (user authorization not requested) with missing_code', async () => {
      github.knobs.requestUserAuthorization = false;
      const { received } = await install(custom, customEntry, customClient());
      const error = await rejection(custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call()));
      expectCode(error, 'missing_code');
    });

    it('renews the installation token every time and the user token only once it is due, spending its refresh token', async () => {
      github.knobs.userTokenLifetimeSeconds = 30 * 60;
      const { received } = await install(custom, customEntry, customClient());
      const { credentials } = await custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call());
      // The user token (30 min) expires before the next installation token would (1 h): refreshed now, rotated.
      const renewed = (await custom.renew({ entry: customEntry, client: customClient(), credentials, connectionConfig: {} }, call())) as { credentials: CustomCredentials };
      expect(github.userTokenCalls('refresh_token').map((c) => c.refreshTokenUsed)).to.deep.equal([credentials.user?.refresh_token]);
      expect(renewed.credentials.user?.refresh_token).to.not.equal(credentials.user?.refresh_token);
      expect(renewed.credentials.app.access_token).to.not.equal(credentials.app.access_token);

      github.knobs.userTokenLifetimeSeconds = 8 * 3600;
      const again = (await custom.renew({ entry: customEntry, client: customClient(), credentials: renewed.credentials, connectionConfig: {} }, call())) as { credentials: CustomCredentials };
      const longLived = (await custom.renew({ entry: customEntry, client: customClient(), credentials: again.credentials, connectionConfig: {} }, call())) as { credentials: CustomCredentials };
      // The second refresh gave an 8-hour user token: the third renewal mints the installation token only.
      expect(github.userTokenCalls('refresh_token')).to.have.length(2);
      expect(longLived.credentials.user).to.deep.equal(again.credentials.user);
      expect(github.tokenCalls()).to.have.length(4);
    });

    it('keeps the installation half when GitHub refuses the user\'s refresh token (user: null)', async () => {
      github.knobs.userTokenLifetimeSeconds = 10 * 60;
      const { received } = await install(custom, customEntry, customClient());
      const { credentials } = await custom.complete({ entry: customEntry, client: customClient(), received, attemptSecrets: {}, redirectUri: REDIRECT_URI, connectionConfig: {} }, call());
      github.revokeTokens();
      const renewed = (await custom.renew({ entry: customEntry, client: customClient(), credentials, connectionConfig: {} }, call())) as { kind: string; credentials: CustomCredentials };
      expect(renewed.kind).to.equal('renewed');
      expect(renewed.credentials.user).to.equal(null);
      expect(github.isTokenValid(renewed.credentials.app.access_token)).to.equal(true);
    });

    it('takes integration credentials with the OAuth client and the app, the private key kept secret', () => {
      const shape = custom.integrationCredentials!;
      const body = { type: 'CUSTOM', client_id: 'Iv1.x', client_secret: 'secret-1', app_id: github.appId, app_link: github.appLink, private_key: github.privateKey };
      const parsed = shape.schema.parse(body);
      expect(shape.toSettings(parsed)).to.deep.equal({ clientId: 'Iv1.x', clientSecret: 'secret-1', custom: { app_id: github.appId, app_link: github.appLink }, customSecrets: { private_key: github.privateKey } });
      expect(shape.present(customClient())).to.deep.equal({ type: 'CUSTOM', client_id: github.knobs.clientId, client_secret: github.knobs.clientSecret, app_id: github.appId, app_link: github.appLink, private_key: null });
    });

    it('imports an installation (app_id, installation_id) with no user, minted by the import check', async () => {
      const installationId = github.addInstallation();
      const imported = custom.fromImport({ type: 'CUSTOM', app_id: github.appId, installation_id: installationId }, NOW);
      expect(custom.checksImports).to.equal(true);
      const renewed = (await custom.renew({ entry: customEntry, client: customClient(), credentials: imported, connectionConfig: {} }, call())) as { credentials: CustomCredentials };
      expect(renewed.credentials.user).to.equal(null);
      expect(github.isTokenValid(renewed.credentials.app.access_token)).to.equal(true);
      expect(custom.authorize({ method: 'GET', url: new URL(provider.url), headers: {} }, { entry: customEntry, credentials: renewed.credentials, connectionConfig: {}, client: customClient(), now: NOW }).headers)
        .to.deep.equal({ authorization: `Bearer ${renewed.credentials.app.access_token}` });
    });
  });

  describe('catalog entries', () => {
    it('reads a CUSTOM entry\'s token_url map into token_url (user) and app_token_url (installation)', () => {
      expect(customEntry.token_url).to.equal(`${provider.url}/login/oauth/access_token`);
      expect(customEntry.app_token_url).to.equal(`${provider.url}/app/installations/` + '$' + '{connectionConfig.installation_id}/access_tokens');
    });

    it('refuses a token_url map outside CUSTOM, and a CUSTOM entry with one token URL only', () => {
      const mapped = nangoEntrySchema.safeParse(github.appEntry({ token_url: { OAUTH2: `${provider.url}/a`, APP: `${provider.url}/b` } }));
      expect(mapped.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).to.deep.equal([['token_url', 'must be a URL when auth_mode is APP']]);
      const single = nangoEntrySchema.safeParse(github.customEntry({ token_url: `${provider.url}/a` }));
      expect(single.error?.issues.map((issue) => issue.path.join('.'))).to.deep.equal(['token_url']);
      expect(nangoEntrySchema.safeParse(github.customEntry({ token_url: `${provider.url}/a`, app_token_url: `${provider.url}/b` })).success).to.equal(true);
    });
  });
});
