import { expect } from 'chai';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { jwt } from '../../../../providers/auth-modes/jwt';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import type { JwtCredentials } from '../../../../providers/credentials';
import { loadCatalog } from '../../../../providers/load-catalog';
import { CustodianError } from '../../../../src/errors';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakeJwt, type FakeJwtEndpoint, type FakeJwtOptions } from '../../../support/fake-modes/jwt';
import { registerSecrets } from '../../../support/secret-registry';

const catalog = loadCatalog();
const CLIENT: IntegrationClient = { clientId: null, clientSecret: null, scopes: [], custom: {} };
const FIVE_MINUTES_MS = 5 * 60_000;

/** The catalog's entry with its proxy pointed at the fake, verified at `/jwt/verify`. */
function entryAt(name: string, provider: FakeProvider): ProviderEntry {
  const real = catalog.get(name);
  if (!real) throw new Error(`${name} is not in the catalog`);
  const headers = { ...(real.proxy?.headers ?? {}) };
  return nangoEntrySchema.parse({ ...structuredClone(real), proxy: { base_url: provider.url, headers, verification: { method: 'GET', endpoints: ['/jwt/verify'] } } }) as ProviderEntry;
}

function call(now: Date): CallContext {
  return { now, timeoutMs: 5_000 };
}

function form(entry: ProviderEntry, received: Record<string, unknown>, connectionConfig: Record<string, unknown> = {}) {
  return { entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: 'https://custodian.example.com/oauth/callback', connectionConfig };
}

function claimsOf(token: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Sends the credentials the way the proxy would (authorize) to the fake's endpoint; the status it answers. */
async function sendAuthorized(entry: ProviderEntry, credentials: JwtCredentials, connectionConfig: Record<string, unknown>, now: Date): Promise<number> {
  const request = jwt.authorize({ method: 'GET', url: new URL(`${entry.proxy?.base_url ?? ''}/jwt/verify`), headers: {} }, { entry, credentials, connectionConfig, client: CLIENT, now });
  const response = await fetch(request.url, { method: request.method, headers: request.headers });
  return response.status;
}

function thrownAsync(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('JWT strategy against the fake provider', () => {
  let provider: FakeProvider;

  before(async () => {
    provider = await startFakeProvider();
  });
  after(async () => {
    await provider.close();
  });

  describe('Ghost (HMAC, hex secret, kid, aud)', () => {
    const id = randomBytes(12).toString('hex');
    const secret = randomBytes(32).toString('hex');
    const connectionConfig = { adminDomain: 'acme.ghost.io', version: 'v5.0' };
    let entry: ProviderEntry;
    let endpoint: FakeJwtEndpoint;
    let providerNow: Date | undefined;
    registerSecrets(() => [secret]);

    before(() => {
      entry = entryAt('ghost-admin', provider);
      const options: FakeJwtOptions = { scheme: 'Ghost', algorithm: 'HS256', key: Buffer.from(secret, 'hex'), kid: id, claims: { aud: '/admin/' }, maxLifetimeSeconds: 300, now: () => providerNow ?? new Date() };
      endpoint = mountFakeJwt(provider, options);
    });
    beforeEach(() => {
      endpoint.checks.length = 0;
      providerNow = undefined;
    });

    it('signs a token the provider accepts, keeps the typed key as { id, secret }, and says it expires after token.expires_in_ms', async () => {
      const now = new Date();
      const obtained = await jwt.complete(form(entry, { type: 'JWT', privateKey: `${id}:${secret}` }, connectionConfig), call(now));

      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid']);
      expect(obtained.credentials).to.include({ type: 'JWT' });
      expect(obtained.credentials['privateKey']).to.deep.equal({ id, secret });
      expect(obtained.expiresAt?.getTime()).to.equal(now.getTime() + FIVE_MINUTES_MS);
      expect(obtained.credentials.expires_at).to.equal(new Date(now.getTime() + FIVE_MINUTES_MS).toISOString());
      const claims = claimsOf(obtained.credentials.token);
      expect(claims['iat']).to.equal(Math.floor(now.getTime() / 1000));
      expect(claims['exp']).to.equal(Math.floor((now.getTime() + FIVE_MINUTES_MS) / 1000));
      expect(jwt.expiresAt(obtained.credentials)?.getTime()).to.equal(now.getTime() + FIVE_MINUTES_MS);
    });

    it('fails with a permanent credentials_rejected when the provider refuses the signature (a wrong secret)', async () => {
      const wrong = randomBytes(32).toString('hex');
      registerSecrets(() => [wrong]);
      const error = await thrownAsync(jwt.complete(form(entry, { privateKey: `${id}:${wrong}` }, connectionConfig), call(new Date())));

      expect(error).to.be.instanceOf(ProviderCallError);
      expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
      expect((error as Error).message).to.not.include(wrong);
      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['bad_signature']);
      expect(jwt.refusedAs).to.equal('connection_test_failed');
    });

    it('re-signs on renew without calling the provider; the new token is accepted after the first one expired', async () => {
      const start = new Date();
      const obtained = await jwt.complete(form(entry, { privateKey: `${id}:${secret}` }, connectionConfig), call(start));
      const callsBefore = provider.calls.length;
      const later = new Date(start.getTime() + 4 * 60_000);

      const renewed = await jwt.renew({ entry, credentials: obtained.credentials, connectionConfig, client: CLIENT }, call(later));

      expect(provider.calls.length, 'no provider call').to.equal(callsBefore);
      expect(jwt.upkeep(entry, obtained.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
      if (renewed.kind !== 'renewed') throw new Error('expected renewed credentials');
      expect(renewed.expiresAt?.getTime()).to.equal(later.getTime() + FIVE_MINUTES_MS);
      expect(renewed.credentials['privateKey']).to.deep.equal({ id, secret });
      expect(renewed.credentials.token).to.not.equal(obtained.credentials.token);

      providerNow = new Date(start.getTime() + 6 * 60_000);
      expect(await sendAuthorized(entry, obtained.credentials, connectionConfig, start), 'the first token has expired').to.equal(401);
      expect(await sendAuthorized(entry, renewed.credentials, connectionConfig, later)).to.equal(200);
      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid', 'expired', 'valid']);
    });

    it('authorize puts "Ghost <token>" and the entry headers on the request, and signs a fresh token when the stored one has expired', async () => {
      const start = new Date();
      const obtained = await jwt.complete(form(entry, { privateKey: `${id}:${secret}` }, connectionConfig), call(start));
      const request = { method: 'GET', url: new URL(`${provider.url}/jwt/verify`), headers: { 'x-caller': 'kept' } };

      const fresh = jwt.authorize(request, { entry, credentials: obtained.credentials, connectionConfig, client: CLIENT, now: start });
      expect(fresh.headers).to.deep.equal({ accept: 'application/json', 'accept-version': 'v5.0', authorization: `Ghost ${obtained.credentials.token ?? ''}`, 'x-caller': 'kept' });

      const muchLater = new Date(start.getTime() + 10 * 60_000);
      const callsBefore = provider.calls.length;
      const resigned = jwt.authorize(request, { entry, credentials: obtained.credentials, connectionConfig, client: CLIENT, now: muchLater });
      expect(provider.calls.length).to.equal(callsBefore);
      const token = (resigned.headers['authorization'] ?? '').replace(/^Ghost /, '');
      expect(token).to.not.equal(obtained.credentials.token);
      expect(claimsOf(token)['iat']).to.equal(Math.floor(muchLater.getTime() / 1000));
    });

    it('refuses a secret that is not hexadecimal with invalid_signing_key, naming the field and not the value', async () => {
      const error = await thrownAsync(jwt.complete(form(entry, { privateKey: `${id}:not-hex-at-all-${secret}` }, connectionConfig), call(new Date())));
      expect(error).to.be.instanceOf(CustodianError);
      expect(error).to.include({ code: 'invalid_signing_key', status: 400 });
      expect((error as Error).message).to.equal('Invalid value for credentials.privateKey.secret: must be hexadecimal');
      expect(endpoint.checks).to.deep.equal([]);
    });

    it('fails with missing_connection_config when the key is missing, before any provider call', async () => {
      const callsBefore = provider.calls.length;
      const error = await thrownAsync(jwt.complete(form(entry, {}, connectionConfig), call(new Date())));
      expect(error).to.include({ code: 'missing_connection_config' });
      expect(provider.calls.length).to.equal(callsBefore);
    });

    it('an import without a token is due at once and signs one at its first renewal', async () => {
      const now = new Date();
      const body = jwt.importSchema.parse({ type: 'JWT', privateKey: { id, secret } });
      const imported = jwt.fromImport(body, now);
      expect(imported).to.deep.equal({ type: 'JWT', privateKey: { id, secret }, expires_at: now.toISOString() });
      expect(jwt.expiresAt(imported)?.getTime()).to.equal(now.getTime());

      const renewed = await jwt.renew({ entry, credentials: imported, connectionConfig, client: CLIENT }, call(now));
      if (renewed.kind !== 'renewed') throw new Error('expected renewed credentials');
      expect(await sendAuthorized(entry, renewed.credentials, connectionConfig, now)).to.equal(200);
      expect(jwt.secretsOf(renewed.credentials)).to.include.members([secret, renewed.credentials.token]);
    });
  });

  describe('App Store Connect (EC P-256, kid, scope array)', () => {
    let keys: { privateKey: string; publicKey: KeyObject };
    const issuerId = '57246542-96fe-1a63-e053-0824d011072a';
    const privateKeyId = '2X9R4HXF34';
    let entry: ProviderEntry;

    before(() => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      keys = { privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: pair.publicKey };
      registerSecrets(() => [keys.privateKey]);
      entry = entryAt('apple-app-store', provider);
    });

    it('signs ES256 with the .p8 key; scope is an array of the configured requests', async () => {
      const endpoint = mountFakeJwt(provider, {
        scheme: 'Bearer', algorithm: 'ES256', key: keys.publicKey, kid: privateKeyId,
        claims: { iss: issuerId, aud: 'appstoreconnect-v1', scope: ['GET /v1/apps', 'GET /v1/builds'] }, maxLifetimeSeconds: 20 * 60,
      });
      const obtained = await jwt.complete(form(entry, { issuerId, privateKeyId, privateKey: keys.privateKey }, { scope: 'GET /v1/apps, GET /v1/builds' }), call(new Date()));
      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid']);
      expect(Object.keys(obtained.credentials).sort()).to.deep.equal(['expires_at', 'issuerId', 'privateKey', 'privateKeyId', 'token', 'type']);
    });

    it('leaves the optional scope claim out when no scope is configured', async () => {
      const endpoint = mountFakeJwt(provider, {
        scheme: 'Bearer', algorithm: 'ES256', key: keys.publicKey, kid: privateKeyId,
        claims: { iss: issuerId, aud: 'appstoreconnect-v1' }, absentClaims: ['scope'], maxLifetimeSeconds: 20 * 60,
      });
      await jwt.complete(form(entry, { issuerId, privateKeyId, privateKey: keys.privateKey }), call(new Date()));
      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid']);
    });

    it('refuses an RSA key for ES256 with invalid_signing_key', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      registerSecrets(() => [rsa]);
      const error = await thrownAsync(jwt.complete(form(entry, { issuerId, privateKeyId, privateKey: rsa }), call(new Date())));
      expect(error).to.include({ code: 'invalid_signing_key' });
      expect((error as Error).message).to.equal('Invalid value for credentials.privateKey: must be an EC private key on curve prime256v1 for ES256');
    });
  });

  describe('Snowflake (RSA, fingerprint in iss)', () => {
    it('signs RS256 with a single-line PEM key and names the key by its public key fingerprint', async () => {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      registerSecrets(() => [pem, pem.replace(/\n/g, '')]);
      const der = createPublicKey(pair.privateKey).export({ type: 'spki', format: 'der' });
      const fingerprint = `SHA256:${createHash('sha256').update(der).digest('base64')}`;
      const entry = entryAt('snowflake-jwt', provider);
      const endpoint = mountFakeJwt(provider, {
        scheme: 'Bearer', algorithm: 'RS256', key: pair.publicKey,
        claims: { iss: `MYORG-ACME.ALICE.${fingerprint}`, sub: 'MYORG-ACME.ALICE' }, maxLifetimeSeconds: 3600,
      });

      const obtained = await jwt.complete(form(entry, { accountIdentifier: 'MYORG-ACME', userName: 'ALICE', privateKey: pem.replace(/\n/g, '') }, { subdomain: 'myorg-acme' }), call(new Date()));

      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid']);
      expect(claimsOf(obtained.credentials.token)['exp']).to.equal((claimsOf(obtained.credentials.token)['iat'] as number) + 3600);
    });
  });

  describe('Heymarket (HMAC, utf8 secret with a literal "||")', () => {
    it('signs with "<secret id>||<secret key>" as the secret and the secret id as iss', async () => {
      const apiSecretId = 'a0ee0000-0000-4000-8000-00000000abcd';
      const apiSecretKey = randomBytes(24).toString('hex');
      registerSecrets(() => [apiSecretKey]);
      const entry = entryAt('heymarket', provider);
      const endpoint = mountFakeJwt(provider, { scheme: 'Bearer', algorithm: 'HS256', key: Buffer.from(`${apiSecretId}||${apiSecretKey}`), claims: { iss: apiSecretId }, maxLifetimeSeconds: 300 });

      await jwt.complete(form(entry, { apiSecretId, apiSecretKey }), call(new Date()));

      expect(endpoint.checks.map((check) => check.verdict)).to.deep.equal(['valid']);
    });
  });
});
