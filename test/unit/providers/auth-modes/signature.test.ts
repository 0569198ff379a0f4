import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { signature } from '../../../../providers/auth-modes/signature';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakeWsse, type FakeWsseEndpoint } from '../../../support/fake-modes/signature';

const CLIENT: IntegrationClient = { clientId: null, clientSecret: null, scopes: [], custom: {} };
const FIVE_MINUTES_MS = 5 * 60_000;

function call(now: Date): CallContext {
  return { now, timeoutMs: 5_000 };
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('SIGNATURE (WSSE) strategy against the fake provider', () => {
  let provider: FakeProvider;
  let endpoint: FakeWsseEndpoint;
  let entry: ProviderEntry;
  let providerNow: Date | undefined;
  const username = 'acme001';
  const secret = randomBytes(16).toString('hex');

  before(async () => {
    provider = await startFakeProvider();
    endpoint = mountFakeWsse(provider, { users: { [username]: secret }, lifetimeMs: FIVE_MINUTES_MS, now: () => providerNow ?? new Date() });
    const real = loadCatalog().get('emarsys');
    entry = nangoEntrySchema.parse({ ...structuredClone(real), proxy: { ...structuredClone(real?.proxy), base_url: provider.url, verification: { method: 'GET', endpoints: ['/wsse/verify'] } } }) as ProviderEntry;
  });
  beforeEach(() => {
    endpoint.verdicts.length = 0;
    providerNow = undefined;
  });
  after(async () => {
    await provider.close();
  });

  function form(received: Record<string, unknown>) {
    return { entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: 'https://custodian.example.com/oauth/callback', connectionConfig: {} };
  }

  it('makes a UsernameToken the provider accepts in X-WSSE and says it expires after token.expires_in_ms', async () => {
    const now = new Date();
    const obtained = await signature.complete(form({ type: 'SIGNATURE', username, password: secret }), call(now));

    expect(endpoint.verdicts).to.deep.equal(['valid']);
    expect(obtained.credentials).to.include({ type: 'SIGNATURE', username, password: secret });
    expect(obtained.credentials.token).to.match(new RegExp(`^UsernameToken Username="${username}", PasswordDigest="[A-Za-z0-9+/=]+", Nonce="[0-9a-f]{32}", Created="${now.toISOString()}"$`));
    expect(obtained.expiresAt?.getTime()).to.equal(now.getTime() + FIVE_MINUTES_MS);
    const verify = provider.calls.filter((c) => c.path === '/wsse/verify');
    expect(verify.at(-1)?.status).to.equal(200);
  });

  it('fails with a permanent credentials_rejected for a wrong secret, without the secret in the message', async () => {
    const wrong = randomBytes(16).toString('hex');
    provider.rememberSecrets(wrong);
    const error = await rejection(signature.complete(form({ username, password: wrong }), call(new Date())));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect((error as Error).message).to.not.include(wrong);
    expect(endpoint.verdicts).to.deep.equal(['bad_digest']);
  });

  it('renews with a new token and no provider call; a token past its lifetime is refused, the renewed one accepted', async () => {
    const start = new Date();
    const obtained = await signature.complete(form({ username, password: secret }), call(start));
    const callsBefore = provider.calls.length;
    const later = new Date(start.getTime() + 4 * 60_000);

    const renewed = await signature.renew({ entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT }, call(later));

    expect(provider.calls.length).to.equal(callsBefore);
    expect(signature.upkeep(entry, obtained.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
    if (renewed.kind !== 'renewed') throw new Error('expected renewed credentials');
    expect(renewed.expiresAt?.getTime()).to.equal(later.getTime() + FIVE_MINUTES_MS);
    expect(renewed.credentials.token).to.include(`Created="${later.toISOString()}"`);

    providerNow = new Date(start.getTime() + 6 * 60_000);
    const stale = await fetch(`${provider.url}/wsse/verify`, { headers: { 'x-wsse': obtained.credentials.token ?? '' } });
    const fresh = await fetch(`${provider.url}/wsse/verify`, { headers: { 'x-wsse': renewed.credentials.token ?? '' } });
    expect([stale.status, fresh.status]).to.deep.equal([401, 200]);
    expect(endpoint.verdicts).to.deep.equal(['valid', 'expired', 'valid']);
  });

  it('authorize gives every request a token of its own in the entry\'s x-wsse header, so none is refused as a replay', async () => {
    const now = new Date();
    const obtained = await signature.complete(form({ username, password: secret }), call(now));
    const request = { method: 'GET', url: new URL(`${provider.url}/wsse/verify`), headers: {} };
    const first = signature.authorize(request, { entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT, now });
    const second = signature.authorize(request, { entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT, now });

    expect(Object.keys(first.headers).sort()).to.deep.equal(['content-type', 'x-wsse']);
    expect(first.headers['x-wsse']).to.not.equal(second.headers['x-wsse']);
    for (const sent of [first, second, first]) await fetch(sent.url, { headers: sent.headers });
    expect(endpoint.verdicts).to.deep.equal(['valid', 'valid', 'valid', 'replayed']);
  });

  it('an import keeps the user and secret; without a token it is due at once', () => {
    const now = new Date();
    const imported = signature.fromImport(signature.importSchema.parse({ type: 'SIGNATURE', username, password: secret }), now);
    expect(imported).to.deep.equal({ type: 'SIGNATURE', username, password: secret, expires_at: now.toISOString() });
    expect(signature.secretsOf(imported)).to.deep.equal([secret]);
    expect(signature.importSchema.safeParse({ type: 'SIGNATURE', username: 'a"b', password: secret }).success).to.equal(false);
  });
});
