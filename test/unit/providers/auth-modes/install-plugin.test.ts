import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { IntegrationClient } from '../../../../providers/auth-modes';
import { installPlugin } from '../../../../providers/auth-modes/install-plugin';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakePlugin, type FakePlugin } from '../../../support/fake-modes/install-plugin';

const CALLBACK = 'https://custodian.example.com/oauth/callback';

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('INSTALL_PLUGIN strategy against the fake provider', () => {
  let provider: FakeProvider;
  let fake: FakePlugin;
  let entry: ProviderEntry;
  let client: IntegrationClient;
  const key = `plugin-key-${randomBytes(8).toString('hex')}`;
  const call = () => ({ now: new Date(), timeoutMs: 5_000 });

  before(async () => {
    provider = await startFakeProvider();
    fake = mountFakePlugin(provider, { identifier: 'plugin-id-1', key, redirect: CALLBACK, websiteId: 'site-42' });
    const real = loadCatalog().get('crisp-plugin-install');
    entry = nangoEntrySchema.parse({ ...structuredClone(real), proxy: { ...structuredClone(real?.proxy), base_url: provider.url, verification: { method: 'GET', endpoints: ['/plugin/verify'] } } }) as ProviderEntry;
    client = { clientId: null, clientSecret: null, scopes: [], custom: { app_link: `${provider.url}/plugin/install?lang=en`, username: 'plugin-id-1', password: key } };
  });
  after(async () => {
    await provider.close();
  });

  it('sends the browser to the install link with the attempt id as payload; the install comes back with it and the website id', async () => {
    const redirect = await installPlugin.begin!({ entry, client, redirectUri: CALLBACK, state: 'attempt-123', scopes: [], connectionConfig: {}, authorizationParams: {} }, call());
    expect(redirect).to.deep.equal({ url: `${provider.url}/plugin/install?lang=en&payload=attempt-123`, attemptSecrets: {} });
    expect(installPlugin.connect).to.deep.equal({ kind: 'redirect', stateParameter: 'payload' });

    const response = await fetch(redirect.url, { redirect: 'manual' });
    const back = new URL(response.headers.get('location') ?? '');
    expect(Object.fromEntries(back.searchParams)).to.deep.equal({ payload: 'attempt-123', website_id: 'site-42' });

    const obtained = await installPlugin.complete({ entry, client, received: Object.fromEntries(back.searchParams), attemptSecrets: {}, redirectUri: CALLBACK, connectionConfig: {} }, call());
    expect(obtained).to.deep.equal({ credentials: { type: 'BASIC', username: 'plugin-id-1', password: key }, expiresAt: null, connectionConfig: { website_id: 'site-42' } });
    expect(fake.verdicts).to.deep.equal(['valid']);
  });

  it('plugin credentials the provider refuses fail the install with a permanent credentials_rejected', async () => {
    fake.verdicts.length = 0;
    const wrong = { ...client, custom: { ...client.custom, password: 'not-the-key' } };
    const error = await rejection(installPlugin.complete({ entry, client: wrong, received: { payload: 'a', website_id: 'site-42' }, attemptSecrets: {}, redirectUri: CALLBACK, connectionConfig: {} }, call()));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect(fake.verdicts).to.deep.equal(['refused']);
  });

  it('an integration without an install link cannot begin (integration_missing_client)', async () => {
    const error = await rejection(installPlugin.begin!({ entry, client: { ...client, custom: {} }, redirectUri: CALLBACK, state: 's', scopes: [], connectionConfig: {}, authorizationParams: {} }, call()));
    expect(error).to.include({ code: 'integration_missing_client' });
  });

  it('the connection is then BASIC: verified now and then, Basic auth with the tier header on requests', async () => {
    const credentials = { type: 'BASIC' as const, username: 'plugin-id-1', password: key };
    expect(installPlugin.upkeep(entry, credentials)).to.deep.equal({ kind: 'verify', beforeExpiry: true });
    const request = installPlugin.authorize({ method: 'GET', url: new URL(`${provider.url}/plugin/verify`), headers: {} }, { entry, credentials, connectionConfig: {}, client, now: new Date() });
    expect((await fetch(request.url, { headers: request.headers })).status).to.equal(200);
    expect(installPlugin.importSchema.safeParse({ type: 'INSTALL_PLUGIN' }).success).to.equal(false);
  });
});
