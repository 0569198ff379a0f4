import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { tba } from '../../../../providers/auth-modes/tba';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakeTba, type FakeTbaEndpoint } from '../../../support/fake-modes/tba';

function call(): CallContext {
  return { now: new Date(), timeoutMs: 5_000 };
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('TBA strategy against the fake provider', () => {
  let provider: FakeProvider;
  let endpoint: FakeTbaEndpoint;
  let entry: ProviderEntry;
  const consumer = { key: 'consumer-key-123', secret: `cs-${randomBytes(8).toString('hex')}` };
  const override = { key: 'override-key-456', secret: `ocs-${randomBytes(8).toString('hex')}` };
  const token = { id: 'token-id-789', secret: `ts-${randomBytes(8).toString('hex')}` };
  const client: IntegrationClient = { clientId: consumer.key, clientSecret: consumer.secret, scopes: [], custom: {} };
  const connectionConfig = { accountId: '1234567-sb1' };

  before(async () => {
    provider = await startFakeProvider();
    endpoint = mountFakeTba(provider, { consumer, tokens: [token], realm: '1234567_SB1' });
    const real = loadCatalog().get('netsuite-tba');
    entry = nangoEntrySchema.parse({ ...structuredClone(real), proxy: { base_url: provider.url, verification: { method: 'GET', endpoints: ['/tba/verify'] } } }) as ProviderEntry;
  });
  beforeEach(() => {
    endpoint.verdicts.length = 0;
  });
  after(async () => {
    await provider.close();
  });

  function form(received: Record<string, unknown>, withClient: IntegrationClient = client) {
    return { entry, client: withClient, received, attemptSecrets: {}, redirectUri: 'https://custodian.example.com/oauth/callback', connectionConfig };
  }

  it('checks the token with a request signed HMAC-SHA256 by the integration\'s consumer, realm from the account id; the token never expires', async () => {
    const obtained = await tba.complete(form({ token_id: token.id, token_secret: token.secret }), call());
    expect(endpoint.verdicts).to.deep.equal(['valid']);
    expect(obtained).to.deep.equal({ credentials: { type: 'TBA', token_id: token.id, token_secret: token.secret }, expiresAt: null, connectionConfig: {} });
    expect(tba.expiresAt(obtained.credentials)).to.equal(null);
    expect(tba.upkeep(entry, obtained.credentials)).to.deep.equal({ kind: 'verify', beforeExpiry: true });
  });

  it('a wrong token secret is a permanent credentials_rejected', async () => {
    const error = await rejection(tba.complete(form({ token_id: token.id, token_secret: 'not-the-secret' }), call()));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect(endpoint.verdicts).to.deep.equal(['bad_signature']);
  });

  it('signs with the per-connection consumer override when the form gives one, and keeps it in config_override', async () => {
    const overridden = mountFakeTba(provider, { consumer: override, tokens: [token], realm: '1234567_SB1' });
    const obtained = await tba.complete(form({ token_id: token.id, token_secret: token.secret, oauth_client_id_override: override.key, oauth_client_secret_override: override.secret }), call());
    expect(obtained.credentials.config_override).to.deep.equal({ client_id: override.key, client_secret: override.secret });
    expect(tba.secretsOf(obtained.credentials)).to.deep.equal([token.secret, override.secret]);
    expect(overridden.verdicts).to.deep.equal(['valid']);
    // The other tests' endpoint knows the integration's consumer again.
    endpoint = mountFakeTba(provider, { consumer, tokens: [token], realm: '1234567_SB1' });
  });

  it('authorize signs each request over its query; renew verifies with one signed call', async () => {
    const credentials = tba.fromImport(tba.importSchema.parse({ type: 'TBA', token_id: token.id, token_secret: token.secret }), new Date());
    const request = tba.authorize({ method: 'GET', url: new URL(`${provider.url}/tba/verify?limit=5&q=a b`), headers: { accept: 'application/json' } }, { entry, credentials, connectionConfig, client, now: new Date() });
    expect(request.headers['accept']).to.equal('application/json');
    expect(request.headers['authorization']).to.match(/^OAuth realm="1234567_SB1", oauth_consumer_key="consumer-key-123",/);
    expect((await fetch(request.url, { headers: request.headers })).status).to.equal(200);

    const calls = provider.calls.length;
    expect(await tba.renew({ entry, credentials, connectionConfig, client }, call())).to.deep.equal({ kind: 'verified' });
    expect(provider.calls.length).to.equal(calls + 1);
    expect(endpoint.verdicts).to.deep.equal(['valid', 'valid']);
  });

  it('needs the account id for the realm: missing_connection_config before any call', async () => {
    const calls = provider.calls.length;
    const error = await rejection(tba.complete({ ...form({ token_id: token.id, token_secret: token.secret }), connectionConfig: {} }, call()));
    expect(error).to.include({ code: 'missing_connection_config', message: 'Missing value for connectionConfig.accountId' });
    expect(provider.calls.length).to.equal(calls);
  });
});
