import { expect } from 'chai';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../../../src/errors';
import { authModeStrategy } from '../../../../providers/auth-modes';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { twoStep } from '../../../../providers/auth-modes/two-step';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import type { TwoStepCredentials } from '../../../../providers/credentials';
import { interpolateTokenUrl } from '../../../../providers/interpolate';
import { loadCatalog } from '../../../../providers/load-catalog';
import { loadNangoProvidersFile } from '../../../../providers/nango-providers-file';
import { parseYamlMap } from '../../../../providers/yaml-map';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountTwoStep, type TwoStepFake } from '../../../support/fake-modes/two-step';
import { sampleValues } from '../fixtures';

// Far from the wall clock: an expiry computed from Date.now() instead of the call's `now` shows up.
const NOW = new Date('2030-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const CLIENT: IntegrationClient = { clientId: null, clientSecret: null, scopes: [], custom: {} };
const USER = { username: 'api-user', password: 'correct-horse-battery' };

function entryOf(fields: Record<string, unknown>): ProviderEntry {
  return nangoEntrySchema.parse({ display_name: 'Fake two-step', auth_mode: 'TWO_STEP', ...fields });
}

function callAt(now: Date): CallContext {
  return { now, timeoutMs: 10_000 };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('TWO_STEP strategy against the fake provider', () => {
  let provider: FakeProvider;
  let fake: TwoStepFake;

  before(async () => {
    provider = await startFakeProvider();
  });
  beforeEach(() => {
    provider.reset();
    fake = mountTwoStep(provider);
  });
  after(() => provider.close());

  const loginEntry = () =>
    entryOf({
      token_url: `${provider.url}/two-step/login`,
      body_format: 'json',
      token_params: { username: '${credentials.username}', password: '${credentials.password}' },
      token_headers: { 'x-api-key': '${credentials.apiKey}', accept: 'application/json' },
      token_response: { token: 'data.session.token', token_expiration: 'data.session.expires_in', token_expiration_strategy: 'expireIn' },
      credentials: {
        username: { type: 'string', title: 'Username' },
        password: { type: 'string', title: 'Password', secret: true },
        apiKey: { type: 'string', title: 'API key', secret: true },
      },
      proxy: { base_url: provider.url, headers: { 'x-api-key': '${credentials.apiKey}' } },
    });

  it('is registered for TWO_STEP and declares its form route', () => {
    expect(authModeStrategy('TWO_STEP')).to.equal(twoStep);
    expect(twoStep.connect).to.include({ kind: 'form' });
    expect(twoStep.connect.kind === 'form' && twoStep.connect.routes).to.deep.equal(['/auth/two-step/:key']);
  });

  it('complete() sends the templated JSON request and reads the token and its lifetime at the entry paths', async () => {
    const received = { type: 'TWO_STEP', ...USER, apiKey: fake.knobs.apiKey };
    const obtained = await twoStep.complete({ entry: loginEntry(), client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    const call = provider.calls.find((c) => c.path === '/two-step/login')!;
    expect(call.method).to.equal('POST');
    expect(call.contentType).to.equal('application/json');
    expect(call.body).to.deep.equal(USER);
    expect(obtained.credentials).to.deep.equal({
      type: 'TWO_STEP',
      ...USER,
      apiKey: fake.knobs.apiKey,
      token: fake.tokens[0],
      expires_at: new Date(NOW.getTime() + HOUR_MS).toISOString(),
      raw: { data: { session: { token: fake.tokens[0], expires_in: 3600 } } },
    });
    expect(obtained.expiresAt).to.deep.equal(new Date(NOW.getTime() + HOUR_MS));
    expect(twoStep.expiresAt(obtained.credentials)).to.deep.equal(obtained.expiresAt);
  });

  it('complete() with an unknown credential fails with a permanent ProviderCallError', async () => {
    const received = { username: 'api-user', password: 'wrong', apiKey: fake.knobs.apiKey };
    const error = await rejection(twoStep.complete({ entry: loginEntry(), client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ kind: 'permanent', code: 'invalid_client', httpStatus: 401 });
    expect((error as Error).message).not.to.include('wrong');
    expect(fake.tokens).to.deep.equal([]);
  });

  it('complete() refuses missing required fields and values outside their pattern before calling the provider', async () => {
    const entry = entryOf({
      token_url: `${provider.url}/two-step/login`,
      token_response: { token: 'data.session.token' },
      credentials: { username: { type: 'string', title: 'Username' }, region: { type: 'string', title: 'Region', pattern: '^(eu|us)$' }, note: { type: 'string', title: 'Note', optional: true } },
    });
    const error = await rejection(twoStep.complete({ entry, client: CLIENT, received: { region: 'mars' }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
    expect(error).to.be.instanceOf(ValidationError);
    expect(error).to.include({ code: 'invalid_body', message: 'The credentials are incomplete or malformed: username: Username is required; region: must match ^(eu|us)$' });
    expect((error as ValidationError).errors).to.deep.equal([
      { code: 'missing_field', message: 'Username is required', path: ['username'] },
      { code: 'invalid_format', message: 'must match ^(eu|us)$', path: ['region'] },
    ]);
    expect(fake.counts.get('/two-step/login')).to.equal(undefined);
  });

  it('renew() obtains a new token with the stored credentials, its expiry counted from the call', async () => {
    const entry = loginEntry();
    const first = await twoStep.complete({ entry, client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(twoStep.upkeep(entry, first.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
    const later = new Date(NOW.getTime() + 50 * 60_000);
    const renewed = await twoStep.renew({ entry, credentials: first.credentials, connectionConfig: {}, client: CLIENT }, callAt(later));
    expect(renewed.kind).to.equal('renewed');
    if (renewed.kind !== 'renewed') return;
    expect(fake.counts.get('/two-step/login')).to.equal(2);
    expect(renewed.credentials.token).to.equal(fake.tokens[1]);
    expect(renewed.credentials.token).not.to.equal(first.credentials.token);
    expect(renewed.expiresAt).to.deep.equal(new Date(later.getTime() + HOUR_MS));
    expect(renewed.credentials).to.include({ username: USER.username, password: USER.password });
  });

  it('renew() of revoked credentials is a permanent refusal', async () => {
    const entry = loginEntry();
    const first = await twoStep.complete({ entry, client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    fake.knobs.refuse = true;
    const error = await rejection(twoStep.renew({ entry, credentials: first.credentials, connectionConfig: {}, client: CLIENT }, callAt(NOW)));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ kind: 'permanent' });
  });

  it('a 503 from the token endpoint is a transient failure', async () => {
    provider.failNext(1, { status: 503 });
    const error = await rejection(twoStep.complete({ entry: loginEntry(), client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ kind: 'transient', code: 'provider_server_error' });
  });

  describe('with a refresh request', () => {
    const refreshEntry = () =>
      entryOf({
        token_url: `${provider.url}/two-step/login`,
        refresh_url: `${provider.url}/two-step/refresh`,
        body_format: 'json',
        token_params: { username: '${credentials.username}', password: '${credentials.password}' },
        refresh_token_params: { refresh_token: '${refresh_token}' },
        token_headers: { 'x-api-key': '${credentials.apiKey}' },
        token_response: { token: 'data.session.token', token_expiration: 'data.session.expires_in', token_expiration_strategy: 'expireIn', refresh_token: 'data.session.refresh' },
      });

    it('expires at the refresh token own JWT exp when it comes first, and refreshes with it', async () => {
      fake.knobs.issueRefreshTokens = true;
      const now = new Date();
      const entry = refreshEntry();
      const first = await twoStep.complete({ entry, client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(now));
      const refreshExp = JSON.parse(Buffer.from(first.credentials.refresh_token!.split('.')[1]!, 'base64url').toString()) as { exp: number };
      // The token lives an hour, the refresh token 30 minutes: the earlier deadline wins.
      expect(first.expiresAt).to.deep.equal(new Date(refreshExp.exp * 1000));
      expect(twoStep.upkeep(entry, first.credentials)).to.deep.equal({ kind: 'refresh', beforeExpiry: true });
      const renewed = await twoStep.renew({ entry, credentials: first.credentials, connectionConfig: {}, client: CLIENT }, callAt(now));
      expect(fake.counts.get('/two-step/refresh')).to.equal(1);
      expect(fake.counts.get('/two-step/login')).to.equal(1);
      expect(renewed.kind === 'renewed' && renewed.credentials.refresh_token).to.be.a('string').and.not.equal(first.credentials.refresh_token);
    });

    it('falls back to the full token request when the refresh token is refused', async () => {
      fake.knobs.issueRefreshTokens = true;
      const entry = refreshEntry();
      const first = await twoStep.complete({ entry, client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
      fake.revokeAll();
      const renewed = await twoStep.renew({ entry, credentials: first.credentials, connectionConfig: {}, client: CLIENT }, callAt(NOW));
      expect(fake.counts.get('/two-step/refresh')).to.equal(1);
      expect(fake.counts.get('/two-step/login')).to.equal(2);
      expect(renewed.kind === 'renewed' && fake.isValid(renewed.credentials.token)).to.equal(true);
    });
  });

  it('sends a GET with credentials in the query and takes the whole text answer as the token (token_expires_in_ms)', async () => {
    const entry = entryOf({
      token_url: `${provider.url}/two-step/session?user=\${credentials.username}&password=\${credentials.password}`,
      token_request_method: 'GET',
      token_response: { token: '' },
      token_expires_in_ms: 900_000,
    });
    const obtained = await twoStep.complete({ entry, client: CLIENT, received: { username: 'api-user', password: 'correct-horse-battery' }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    const call = provider.calls.find((c) => c.path === '/two-step/session')!;
    expect(call.method).to.equal('GET');
    expect(call.query).to.deep.equal({ user: 'api-user', password: 'correct-horse-battery' });
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
    expect(obtained.expiresAt).to.deep.equal(new Date(NOW.getTime() + 900_000));
  });

  it('chains additional_steps: the second request goes where the first answer says, with a Basic header built by base64(…)', async () => {
    const entry = entryOf({
      token_url: `${provider.url}/two-step/discovery`,
      token_request_method: 'GET',
      body_format: 'form',
      additional_steps: [
        {
          token_url: '${step1.token_endpoint}',
          token_params: { grant_type: 'client_credentials', scope: '${connectionConfig.scope}' },
          token_headers: { authorization: 'Basic ${base64(${credentials.clientId}:${credentials.clientSecret})}' },
        },
      ],
      token_response: { token: 'access_token', token_expiration: 'expires_in', token_expiration_strategy: 'expireIn' },
      connection_config: { scope: { type: 'string', title: 'Scope' } },
    });
    const received = { clientId: provider.knobs.clientId, clientSecret: provider.knobs.clientSecret };
    const obtained = await twoStep.complete({ entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: { scope: 'read' } }, callAt(NOW));
    expect(provider.calls.map((c) => `${c.method} ${c.path}`)).to.deep.equal(['GET /two-step/discovery', 'POST /two-step/form-token']);
    expect(provider.calls[1]!.body).to.deep.equal({ grant_type: 'client_credentials', scope: 'read' });
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
    expect(obtained.credentials.raw).to.deep.equal({ access_token: fake.tokens[0], expires_in: 3600, scope: 'read' });
  });

  it('signs an RS256 JWT bearer assertion (signature + token) that the provider verifies with the public key', async () => {
    const entry = entryOf({
      signature: { protocol: 'RSA' },
      token: {
        signing_key: '${credentials.privateKey}',
        expires_in_ms: 3_600_000,
        header: { alg: 'RS256', typ: 'JWT' },
        payload: { iss: '${credentials.clientEmail}', scope: '${credentials.scopes}', aud: `${provider.url}/two-step/jwt-bearer`, sub: '${credentials.delegatedUser}' },
      },
      body_format: 'form',
      token_url: `${provider.url}/two-step/jwt-bearer`,
      token_params: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '${token}' },
      token_response: { token: 'access_token', token_expiration: 'expires_in', token_expiration_strategy: 'expireIn' },
      token_response_metadata: ['instance_url'],
      credentials: { delegatedUser: { type: 'string', title: 'Delegated user', optional: true } },
    });
    // Pasted as one line with escaped line breaks, as Google's JSON key files hold it.
    const received = { clientEmail: 'svc@project.iam.gserviceaccount.com', scopes: 'https://www.googleapis.com/auth/drive', privateKey: fake.privateKeyPem.replace(/\n/g, '\\n') };
    const obtained = await twoStep.complete({ entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(fake.verifiedClaims).to.have.length(1);
    const claims = fake.verifiedClaims[0]!;
    expect(claims).to.deep.equal({ iss: received.clientEmail, scope: received.scopes, aud: `${provider.url}/two-step/jwt-bearer`, iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 3600 });
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
    expect(obtained.connectionConfig).to.deep.equal({ instance_url: `${provider.url}/instance` });
  });

  it('signs a JWT client assertion from assertionOption, keeps the option to sign again at renewal, with a fresh jti', async () => {
    const entry = entryOf({
      body_format: 'form',
      token_url: `${provider.url}/two-step/jwt-bearer`,
      token_params: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: '${credentials.assertion}' },
      assertion: { type: 'jwt', key: '${assertionOption.privateKey}', lifetimeInSeconds: 300, header: { alg: 'RS256', kid: '${credentials.certificateId}' }, payload: { iss: '${credentials.clientId}', aud: `${provider.url}/two-step/jwt-bearer`, jti: '${random}' } },
      token_response: { token: 'access_token', token_expiration: 'expires_in', token_expiration_strategy: 'expireIn' },
      credentials: { clientId: { type: 'string', title: 'Client ID' }, certificateId: { type: 'string', title: 'Certificate ID' }, assertion: { type: 'string', title: '', automated: true } },
    });
    const received = { type: 'TWO_STEP', clientId: 'client-42', certificateId: 'cert-1', assertionOption: { privateKey: fake.privateKeyPem } };
    const first = await twoStep.complete({ entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(first.credentials['assertionOption']).to.deep.equal({ privateKey: fake.privateKeyPem });
    expect(first.credentials).not.to.have.property('assertion');
    await twoStep.renew({ entry, credentials: first.credentials, connectionConfig: {}, client: CLIENT }, callAt(new Date(NOW.getTime() + HOUR_MS)));
    expect(fake.verifiedClaims).to.have.length(2);
    expect(fake.verifiedClaims.map((claims) => claims.iss)).to.deep.equal(['client-42', 'client-42']);
    expect(fake.verifiedClaims[0]!.jti).to.be.a('string').and.not.equal(fake.verifiedClaims[1]!.jti);
    expect(fake.verifiedClaims[1]!.exp).to.equal((NOW.getTime() + HOUR_MS) / 1000 + 300);
  });

  it('a JWT assertion signed with another key is refused (permanent invalid_grant)', async () => {
    const other = mountTwoStep(provider);
    const entry = entryOf({
      signature: { protocol: 'RSA' },
      token: { signing_key: '${credentials.privateKey}', expires_in_ms: 3_600_000, header: { alg: 'RS256' }, payload: { aud: `${provider.url}/two-step/jwt-bearer` } },
      body_format: 'form',
      token_url: `${provider.url}/two-step/jwt-bearer`,
      token_params: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '${token}' },
      token_response: { token: 'access_token' },
    });
    // `other` re-mounted the routes with its own key pair: the first fake's key no longer verifies.
    const error = await rejection(twoStep.complete({ entry, client: CLIENT, received: { privateKey: fake.privateKeyPem }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ kind: 'permanent', code: 'invalid_grant' });
    expect(other.verifiedClaims).to.deep.equal([]);
  });

  it('sends a signed SAML 2.0 bearer assertion the provider verifies', async () => {
    const entry = entryOf({
      body_format: 'form',
      token_url: `${provider.url}/two-step/saml-bearer`,
      token_params: { grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer', assertion: '${credentials.assertion}', client_id: '${credentials.apiKey}' },
      assertion: {
        type: 'saml',
        key: '${assertionOption.privateKey}',
        issuer: 'www.successfactors.com',
        lifetimeInSeconds: '600',
        audiences: 'www.successfactors.com',
        recipient: `${provider.url}/two-step/saml-bearer`,
        nameIdentifier: '${assertionOption.userName}',
        sessionIndex: '${random}',
        attributes: { api_key: '${credentials.apiKey}', use_username: true },
      },
      token_response: { token: 'access_token', token_expiration: 'expires_in', token_expiration_strategy: 'expireIn' },
    });
    const received = { apiKey: 'sf-api-key-0123456789', assertionOption: { privateKey: fake.privateKeyPem, userName: 'jdoe & co' } };
    const obtained = await twoStep.complete({ entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(fake.verifiedSaml).to.have.length(1);
    const xml = fake.verifiedSaml[0]!;
    expect(xml).to.include('<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">jdoe &amp; co</saml:NameID>');
    expect(xml).to.include(`<saml:Conditions NotBefore="${NOW.toISOString()}" NotOnOrAfter="${new Date(NOW.getTime() + 600_000).toISOString()}">`);
    expect(xml).to.include('<saml:Attribute Name="api_key" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>sf-api-key-0123456789</saml:AttributeValue></saml:Attribute>');
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
  });

  it('posts an XML body and reads the token and its expireAt date from the XML answer', async () => {
    const entry = entryOf({
      token_url: `${provider.url}/two-step/xml-session`,
      body_format: 'xml',
      token_params: { request: { operation: { login: { userid: '${credentials.username}', password: '${credentials.password}' } }, control: { controlid: '${now}' } } },
      token_headers: { 'content-type': 'application/xml' },
      token_response: { token: 'response.operation.result.data.api.sessionid', token_expiration: 'response.operation.authentication.sessiontimeout', token_expiration_strategy: 'expireAt' },
    });
    const before = Date.now();
    const obtained = await twoStep.complete({ entry, client: CLIENT, received: USER, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    const call = provider.calls.find((c) => c.path === '/two-step/xml-session')!;
    expect(call.contentType).to.equal('application/xml');
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
    // The fake states its deadline as a date from its own clock.
    expect(obtained.expiresAt!.getTime()).to.be.within(before + HOUR_MS - 1000, Date.now() + HOUR_MS + 1000);
  });

  describe('security', () => {
    const chainTo = (endpoint: string) => {
      provider.mount('GET', '/two-step/named-endpoint', () => ({ status: 200, body: { token_endpoint: endpoint } }));
      return entryOf({
        token_url: `${provider.url}/two-step/named-endpoint`,
        token_request_method: 'GET',
        body_format: 'form',
        additional_steps: [{ token_url: '${step1.token_endpoint}', token_params: { grant_type: 'client_credentials' }, token_headers: { authorization: 'Basic ${base64(${credentials.clientId}:${credentials.clientSecret})}' } }],
        token_response: { token: 'access_token' },
      });
    };
    const received = () => ({ clientId: provider.knobs.clientId, clientSecret: provider.knobs.clientSecret });

    it('a next endpoint that is not an https URL is a malformed answer: nothing is sent to it', async () => {
      const error = await rejection(twoStep.complete({ entry: chainTo('http://attacker.example/steal'), client: CLIENT, received: received(), attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ kind: 'transient', code: 'provider_malformed_response' });
      expect(provider.calls.map((c) => c.path)).to.deep.equal(['/two-step/named-endpoint']);
    });

    it('with private targets refused, an earlier answer cannot send the next request into the private network', async () => {
      const entry = chainTo(`${provider.url}/two-step/form-token`);
      const error = await rejection(twoStep.complete({ entry, client: CLIENT, received: received(), attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, { ...callAt(NOW), refusePrivateUserHosts: true }));
      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ kind: 'permanent', code: 'private_network_target' });
      expect(fake.counts.get('/two-step/form-token')).to.equal(undefined);
    });

    it('a short value of a field marked secret is redacted too', async () => {
      provider.failNext(1, { status: 400, body: { error: 'invalid_request', error_description: 'password pw1 is wrong' } });
      const error = await rejection(twoStep.complete({ entry: loginEntry(), client: CLIENT, received: { username: 'api-user', password: 'pw1', apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
      expect((error as Error).message).to.include('password [redacted] is wrong');
    });

    it('a refusal that echoes the password does not carry it into the error message', async () => {
      provider.failNext(1, { status: 400, body: { error: 'invalid_request', error_description: `password ${USER.password} is wrong` } });
      const error = await rejection(twoStep.complete({ entry: loginEntry(), client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW)));
      expect(error).to.include({ kind: 'permanent', code: 'provider_rejected' });
      expect((error as Error).message).to.include('[redacted]').and.not.include(USER.password);
    });
  });

  it('computes ${random} and ${now:…} once per request, so headers that sign them agree', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    provider.mount('POST', '/two-step/signed-headers', ({ req }) => {
      seen.push(req.headers);
      return { status: 200, body: { token: `signed-${seen.length}` } };
    });
    const entry = entryOf({
      token_url: `${provider.url}/two-step/signed-headers`,
      token_headers: {
        'x-req-id': '${random}',
        'x-date': '${now:YYYY-MM-DDTHH:mm:ss}',
        'x-sig': '${sha256Hex(${base64(${random}${credentials.appId}${now:YYYY-MM-DDTHH:mm:ss}${credentials.secret})})}',
      },
      token_response: { token: 'token' },
    });
    const input = { entry, client: CLIENT, received: { appId: 'app-1', secret: 'shh-secret-value' }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} };
    await twoStep.complete(input, callAt(NOW));
    await twoStep.complete(input, callAt(NOW));
    const [first, second] = seen as Record<string, string>[];
    expect(first!['x-date']).to.equal('2030-01-01T00:00:00');
    const signature = (headers: Record<string, string>) => createHash('sha256').update(Buffer.from(`${headers['x-req-id']}app-1${headers['x-date']}shh-secret-value`).toString('base64')).digest('hex');
    expect(first!['x-sig']).to.equal(signature(first!));
    expect(second!['x-sig']).to.equal(signature(second!));
    expect(first!['x-req-id']).to.match(/^[0-9a-f-]{36}$/).and.not.equal(second!['x-req-id']);
  });

  it('keeps a session cookie the answer sets (token_response_headers) and sends it instead of a bearer token', async () => {
    const logins: Record<string, unknown>[] = [];
    provider.mount('POST', '/two-step/cookie-login', ({ body }) => {
      logins.push(body);
      return { status: 200, body: { SessionId: 'sess-0123456789' }, headers: { 'set-cookie': 'B1SESSION=sess-0123456789; HttpOnly; Secure' } };
    });
    const entry = entryOf({
      token_url: `${provider.url}/two-step/cookie-login`,
      token_params: { UserName: '${credentials.userName}', Password: '${credentials.password}' },
      token_response: { token: 'SessionId' },
      token_response_headers: ['set-cookie'],
      token_expires_in_ms: 1_700_000,
      proxy: { base_url: provider.url, headers: { cookie: '${credentials._cookies}' } },
    });
    const obtained = await twoStep.complete({ entry, client: CLIENT, received: { userName: 'manager', password: 'b1-password-123' }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(obtained.credentials).to.include({ token: 'sess-0123456789', _cookies: 'B1SESSION=sess-0123456789', B1SESSION: 'sess-0123456789' });
    const out = twoStep.authorize({ method: 'GET', url: new URL(`${provider.url}/b1s/v1/Items`), headers: {} }, { entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT, now: NOW });
    expect(out.headers).to.deep.equal({ cookie: 'B1SESSION=sess-0123456789' });
    // Renewal logs in again; the cookie taken from the old answer is not sent as a typed credential.
    await twoStep.renew({ entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT }, callAt(NOW));
    expect(logins).to.deep.equal([
      { UserName: 'manager', Password: 'b1-password-123' },
      { UserName: 'manager', Password: 'b1-password-123' },
    ]);
  });

  describe('authorize()', () => {
    const credentials: TwoStepCredentials = { type: 'TWO_STEP', token: 'tok-123456789', apiKey: 'key-abcdefgh', raw: {} };
    const request = () => ({ method: 'GET', url: new URL(`${provider.url}/two-step/api`), headers: { accept: 'application/json' } });

    it('sends Authorization: Bearer <token> and the entry proxy headers', () => {
      const out = twoStep.authorize(request(), { entry: loginEntry(), credentials, connectionConfig: {}, client: CLIENT, now: NOW });
      expect(out.headers).to.deep.equal({ accept: 'application/json', authorization: 'Bearer tok-123456789', 'x-api-key': 'key-abcdefgh' });
    });

    it('sends no default bearer when a proxy header carries ${accessToken}', () => {
      const entry = entryOf({ token_url: `${provider.url}/two-step/login`, token_response: { token: 't' }, proxy: { base_url: provider.url, headers: { 'x-session': '${accessToken}' } } });
      const out = twoStep.authorize(request(), { entry, credentials, connectionConfig: {}, client: CLIENT, now: NOW });
      expect(out.headers).to.deep.equal({ accept: 'application/json', 'x-session': 'tok-123456789' });
    });

    it('authorizes a real call to the provider API with the token it obtained', async () => {
      const obtained = await twoStep.complete({ entry: loginEntry(), client: CLIENT, received: { ...USER, apiKey: fake.knobs.apiKey }, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
      const out = twoStep.authorize(request(), { entry: loginEntry(), credentials: obtained.credentials, connectionConfig: {}, client: CLIENT, now: NOW });
      const response = await fetch(out.url, { method: out.method, headers: out.headers });
      expect(response.status).to.equal(200);
    });
  });

  describe('import', () => {
    it('keeps an imported token and its expiry, and the typed fields flat beside it', () => {
      const body = twoStep.importSchema.parse({ type: 'TWO_STEP', token: 'imported-token-1', expires_at: '2030-01-01T01:00:00.000Z', region: 'eu', password: 'pw-123456789' });
      const credentials = twoStep.fromImport(body, NOW);
      expect(credentials).to.deep.equal({ type: 'TWO_STEP', token: 'imported-token-1', expires_at: '2030-01-01T01:00:00.000Z', region: 'eu', password: 'pw-123456789', raw: {} });
      // `eu` is too short to be told apart from ordinary text in a history audit.
      expect(twoStep.secretsOf(credentials)).to.have.members(['imported-token-1', 'pw-123456789']);
    });

    it('makes credentials imported without a token due at once, and renew() obtains one', async () => {
      const body = twoStep.importSchema.parse({ type: 'TWO_STEP', ...USER, apiKey: fake.knobs.apiKey });
      const credentials = twoStep.fromImport(body, NOW);
      expect(twoStep.expiresAt(credentials)).to.deep.equal(new Date(0));
      const renewed = await twoStep.renew({ entry: loginEntry(), credentials, connectionConfig: {}, client: CLIENT }, callAt(NOW));
      expect(renewed.kind === 'renewed' && renewed.credentials.token).to.equal(fake.tokens[0]);
    });

    it('refuses another credentials type and non-string fields', () => {
      expect(twoStep.importSchema.safeParse({ type: 'API_KEY', apiKey: 'x' }).success).to.equal(false);
      expect(twoStep.importSchema.safeParse({ type: 'TWO_STEP', username: 42 }).success).to.equal(false);
    });
  });

  it('takes integration_config fields preset on the integration, and does not store them on the connection', async () => {
    const entry = entryOf({
      token_url: `${provider.url}/two-step/login`,
      body_format: 'json',
      token_params: { username: '${credentials.username}', password: '${credentials.password}' },
      token_headers: { 'x-api-key': '${credentials.apiKey}' },
      token_response: { token: 'data.session.token' },
      integration_config: { apiKey: { type: 'string', title: 'API key', secret: true } },
      credentials: { username: { type: 'string', title: 'Username' }, password: { type: 'string', title: 'Password' }, apiKey: { type: 'string', title: 'API key' } },
    });
    const client = { ...CLIENT, custom: { apiKey: fake.knobs.apiKey } };
    const obtained = await twoStep.complete({ entry, client, received: USER, attemptSecrets: {}, redirectUri: '', connectionConfig: {} }, callAt(NOW));
    expect(obtained.credentials.token).to.equal(fake.tokens[0]);
    expect(obtained.credentials).not.to.have.property('apiKey');
  });
});

describe("Nango's TWO_STEP entries through the lenient loader", () => {
  it('loads at least 98% of them', () => {
    const file = require.resolve('@nangohq/providers/providers.yaml');
    const raw = parseYamlMap(readFileSync(file, 'utf8'), file) as Record<string, { auth_mode?: string; alias?: string }>;
    const modeOf = (name: string): string | undefined => raw[name]?.auth_mode ?? (raw[name]?.alias === undefined ? undefined : modeOf(raw[name].alias));
    const names = Object.keys(raw).filter((name) => modeOf(name) === 'TWO_STEP');
    const { entries, rejected } = loadNangoProvidersFile(file);
    const loaded = names.filter((name) => entries.has(name));
    expect(names.length).to.be.greaterThan(60);
    expect(loaded.length / names.length, JSON.stringify(rejected.filter((r) => names.includes(r.name)))).to.be.at.least(0.98);
    for (const name of loaded) expect(entries.get(name)?.auth_mode).to.equal('TWO_STEP');
  });
});

describe('TWO_STEP entries of providers/catalog', () => {
  const catalog = loadCatalog();
  const entries = catalog.list().filter(({ entry }) => entry.auth_mode === 'TWO_STEP');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('include the promised providers', () => {
    const names = entries.map(({ name }) => name);
    for (const name of ['google-service-account', 'salesforce-jwt', 'servicenow-jwt', 'workday-cc', 'netsuite-client-credentials']) expect(names).to.include(name);
    expect(names.length).to.be.at.least(10);
  });

  /** A token answer shaped by the entry's `token_response` paths (JSON, or XML for XML bodies). */
  function answerFor(entry: ProviderEntry, token: string): Response {
    const paths = entry.token_response!;
    const body: Record<string, unknown> = {};
    const put = (path: string, value: unknown) => {
      const keys = path.split('.');
      let node = body;
      for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
      node[keys[keys.length - 1]!] = value;
    };
    put(paths.token, token);
    if (paths.token_expiration) put(paths.token_expiration, paths.token_expiration_strategy === 'expireIn' ? 3600 : new Date(NOW.getTime() + HOUR_MS).toISOString());
    if (entry.body_format === 'xml') {
      const xml = (node: unknown): string => (typeof node === 'object' && node !== null ? Object.entries(node).map(([k, v]) => `<${k}>${xml(v)}</${k}>`).join('') : String(node));
      return new Response(xml(body), { status: 200, headers: { 'content-type': 'application/xml' } });
    }
    return Response.json(body);
  }

  for (const { name, entry } of entries) {
    it(`${name}: builds its token request from sample values and reads the token from an answer of its shape`, async () => {
      const sample = (fields: ProviderEntry['credentials']) => Object.fromEntries(Object.entries(sampleValues(fields)).map(([key, value]) => [key, /privatekey/i.test(key) ? pem : value]));
      const received: Record<string, unknown> = { ...sample(entry.credentials), assertionOption: sample(entry.assertion_option) };
      for (const [key, field] of Object.entries(entry.credentials ?? {})) if (field.automated) delete received[key];
      const requests: { url: string; init: RequestInit }[] = [];
      const token = `token-of-${name}`;
      const call: CallContext = { now: NOW, timeoutMs: 10_000, fetch: async (url, init) => (requests.push({ url: String(url), init: init ?? {} }), answerFor(entry, token)) };
      const connectionConfig = sampleValues(entry.connection_config);
      const obtained = await twoStep.complete({ entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: '', connectionConfig }, call);
      expect(requests).to.have.length(1 + (entry.additional_steps?.length ?? 0));
      expect(new URL(requests[0]!.url).origin).to.equal(new URL(interpolateTokenUrl(entry.token_url!, { entry, connectionConfig, credentials: sample(entry.credentials) })).origin);
      expect(obtained.credentials.token).to.equal(token);
      const body = typeof requests[0]!.init.body === 'string' ? requests[0]!.init.body : '';
      const jwt = /(?:assertion|client_assertion)=([\w-]+\.[\w-]+\.[\w-]+)/.exec(body)?.[1];
      if (entry.signature !== undefined || entry.assertion?.type === 'jwt') {
        const header = JSON.parse(Buffer.from(jwt!.split('.')[0]!, 'base64url').toString()) as { alg: string };
        expect(header.alg).to.match(/^(RS|PS)256$/);
      }
    });
  }
});
