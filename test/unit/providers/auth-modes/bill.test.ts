import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { bill, BILL_SESSION_LIFETIME_MS } from '../../../../providers/auth-modes/bill';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakeBill, type FakeBill, type FakeBillAccount } from '../../../support/fake-modes/bill';

const CLIENT: IntegrationClient = { clientId: null, clientSecret: null, scopes: [], custom: {} };

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

describe('BILL strategy against the fake provider', () => {
  let provider: FakeProvider;
  let fake: FakeBill;
  let entry: ProviderEntry;
  const account: FakeBillAccount = { username: 'ap@acme.example', password: `pw-${randomBytes(8).toString('hex')}`, organizationId: '00801ACME', devKey: `dk-${randomBytes(8).toString('hex')}`, userId: '00601ALICE' };
  const typed = { username: account.username, password: account.password, organization_id: account.organizationId, dev_key: account.devKey };

  before(async () => {
    provider = await startFakeProvider();
    fake = mountFakeBill(provider, [account]);
    const real = loadCatalog().get('bill-sandbox');
    entry = nangoEntrySchema.parse({ ...structuredClone(real), token_url: `${provider.url}/bill/login`, proxy: { base_url: provider.url } }) as ProviderEntry;
  });
  beforeEach(() => {
    fake.logins.length = 0;
  });
  after(async () => {
    await provider.close();
  });

  function form(received: Record<string, unknown>) {
    return { entry, client: CLIENT, received, attemptSecrets: {}, redirectUri: 'https://custodian.example.com/oauth/callback', connectionConfig: {} };
  }

  it('signs in at token_url and keeps the session, which expires 35 minutes later; the session works on requests', async () => {
    const now = new Date();
    const obtained = await bill.complete(form(typed), call(now));

    expect(fake.logins).to.have.length(1);
    expect(obtained.credentials).to.deep.equal({
      type: 'BILL', ...typed, session_id: fake.logins[0]?.sessionId, user_id: account.userId,
      expires_at: new Date(now.getTime() + BILL_SESSION_LIFETIME_MS).toISOString(),
      raw: { sessionId: fake.logins[0]?.sessionId, organizationId: account.organizationId, userId: account.userId, trusted: false },
    });
    expect(obtained.expiresAt?.getTime()).to.equal(now.getTime() + 35 * 60_000);
    const login = provider.calls.find((c) => c.path === '/bill/login');
    expect(login?.body).to.deep.equal({ username: account.username, password: account.password, organizationId: account.organizationId, devKey: account.devKey });

    const request = bill.authorize({ method: 'GET', url: new URL(`${provider.url}/bill/verify`), headers: {} }, { entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT, now });
    expect(request.headers).to.deep.equal({ devkey: account.devKey, sessionid: obtained.credentials.session_id });
    expect((await fetch(request.url, { headers: request.headers })).status).to.equal(200);
  });

  it('a refused login is a permanent credentials_rejected naming Bill\'s code, without the password', async () => {
    const error = await rejection(bill.complete(form({ ...typed, password: 'not-the-password' }), call(new Date())));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect((error as Error).message).to.match(/answered 400 \(BDC_1109\)/);
    expect(fake.logins).to.deep.equal([{ username: account.username, accepted: false }]);
  });

  it('a 503 from the login endpoint is transient (retried), not a refusal', async () => {
    provider.failNext(1, { status: 503 });
    const error = await rejection(bill.complete(form(typed), call(new Date())));
    expect(error).to.include({ code: 'provider_server_error', kind: 'transient' });
  });

  it('renew signs in again (one login) and opens a new session expiring 35 minutes after the renewal', async () => {
    const start = new Date();
    const obtained = await bill.complete(form(typed), call(start));
    const later = new Date(start.getTime() + 20 * 60_000);
    const renewed = await bill.renew({ entry, credentials: obtained.credentials, connectionConfig: {}, client: CLIENT }, call(later));

    expect(bill.upkeep(entry, obtained.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
    expect(fake.logins.map((l) => l.accepted)).to.deep.equal([true, true]);
    if (renewed.kind !== 'renewed') throw new Error('expected renewed credentials');
    expect(renewed.credentials.session_id).to.equal(fake.logins[1]?.sessionId).and.not.equal(obtained.credentials.session_id);
    expect(renewed.expiresAt?.getTime()).to.equal(later.getTime() + BILL_SESSION_LIFETIME_MS);
  });

  it('an import without a session is due at once; secretsOf names the password, dev key and session', () => {
    const now = new Date();
    const imported = bill.fromImport(bill.importSchema.parse({ type: 'BILL', ...typed }), now);
    expect(imported).to.deep.equal({ type: 'BILL', ...typed, expires_at: now.toISOString(), raw: {} });
    expect(bill.secretsOf({ ...imported, session_id: 'sess-123456' })).to.deep.equal([account.password, account.devKey, 'sess-123456']);
  });
});
