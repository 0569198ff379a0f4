/**
 * The fake provider's Bill endpoints: `POST /bill/login` (Bill's `/v3/login`: JSON `username`,
 * `password`, `organizationId`, `devKey` → `{ sessionId, organizationId, userId }`, or 400 with Bill's
 * error list), honouring the provider's queued faults; and `GET /bill/verify`, which accepts the
 * `devKey` and `sessionId` headers of an open session.
 */
import { randomBytes } from 'node:crypto';
import type { FakeProvider, FakeRouteAnswer } from '../fake-provider';

export interface FakeBillAccount {
  readonly username: string;
  readonly password: string;
  readonly organizationId: string;
  readonly devKey: string;
  readonly userId: string;
}

export interface FakeBill {
  /** Every login, in order: accepted ones give the session they opened. */
  readonly logins: Array<{ username: unknown; accepted: boolean; sessionId?: string }>;
  /** Open sessions → devKey they belong to. */
  readonly sessions: Map<string, string>;
}

/** Mounts the login and verify endpoints for `accounts`; registers passwords, dev keys and sessions as secrets. */
export function mountFakeBill(provider: FakeProvider, accounts: readonly FakeBillAccount[]): FakeBill {
  const state: FakeBill = { logins: [], sessions: new Map() };
  provider.rememberSecrets(...accounts.flatMap((account) => [account.password, account.devKey]));
  provider.mount('POST', '/bill/login', ({ body }) => {
    const fault = provider.takeFault();
    if (fault && 'status' in fault) return { status: fault.status, body: fault.body ?? [{ code: 'BDC_1000', message: 'unavailable' }], headers: fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) } };
    const account = accounts.find((a) => a.username === body['username'] && a.password === body['password'] && a.organizationId === body['organizationId'] && a.devKey === body['devKey']);
    if (!account) {
      state.logins.push({ username: body['username'], accepted: false });
      return refusal('BDC_1109', 'Invalid user name or password');
    }
    const sessionId = `fake-bill-session-${randomBytes(12).toString('hex')}`;
    provider.rememberSecrets(sessionId);
    state.sessions.set(sessionId, account.devKey);
    state.logins.push({ username: account.username, accepted: true, sessionId });
    return { status: 200, body: { sessionId, organizationId: account.organizationId, userId: account.userId, trusted: false } };
  });
  provider.mount('GET', '/bill/verify', ({ req }) => {
    const sessionId = req.headers['sessionid'];
    const devKey = req.headers['devkey'];
    const open = typeof sessionId === 'string' && state.sessions.get(sessionId) === devKey;
    return open ? { status: 200, body: { ok: true } } : refusal('BDC_1145', 'Session is invalid', 401);
  });
  return state;
}

function refusal(code: string, message: string, status = 400): FakeRouteAnswer {
  return { status, body: [{ timestamp: new Date().toISOString(), code, severity: 'ERROR', category: 'DOWNSTREAM', message }] };
}
