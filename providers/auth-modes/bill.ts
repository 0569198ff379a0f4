/**
 * BILL (Bill Connect API v3): the end user types a user name, password, organization id and developer
 * key; Custodian signs in at the entry's `token_url` (`POST /v3/login`), which opens an API session, and
 * signs in again before the session's 35 minutes run out (upkeep `mint`: repeatable, nothing single-use
 * is spent). Requests carry the `devKey` and `sessionId` headers.
 */
import { z } from 'zod';
import { CustodianError } from '../../src/errors';
import { callProvider, type ProviderAnswer } from '../calls/call-provider';
import type { ProviderEntry } from '../catalog-schema';
import type { BillCredentials } from '../credentials';
import { interpolateUrl } from '../interpolate';
import { hostKeysOf } from '../user-hosts';
import type { AuthModeStrategy, CallContext, ConnectionConfig } from './auth-mode';
import { dateOf, expiryField, rawField, secretStrings } from './import-fields';
import { withHeaders, withProxyHeaders } from './outgoing-request';

/** A Bill API session expires after 35 minutes without a request (Bill's API login reference); we assume no request. */
export const BILL_SESSION_LIFETIME_MS = 35 * 60_000;

const typed = {
  username: z.string().min(1),
  password: z.string().min(1),
  organization_id: z.string().min(1),
  dev_key: z.string().min(1),
};

/** What `POST /auth/bill/:key` receives (Nango's body). */
const formBody = z.object(typed);

/** A `POST /connections` import: Nango's BILL credentials, with or without a session already open. */
const importSchema = z.strictObject({
  type: z.literal('BILL'),
  ...typed,
  session_id: z.string().min(1).optional(),
  user_id: z.string().optional(),
  expires_at: expiryField.optional(),
  raw: rawField,
});

type Login = Pick<BillCredentials, 'username' | 'password' | 'organization_id' | 'dev_key'>;

/** The BILL strategy. */
export const bill: AuthModeStrategy<BillCredentials> = {
  authMode: 'BILL',
  connect: { kind: 'form', routes: ['/auth/bill/:key'], body: formBody },
  completing: 'signing in to Bill',
  refusedAs: 'connection_test_failed',

  async complete(input, call) {
    const login = formBody.parse(input.received);
    const session = await signIn(input.entry, login, input.connectionConfig, call);
    return { credentials: session, expiresAt: bill.expiresAt(session), connectionConfig: {} };
  },

  importSchema,
  fromImport(body, now) {
    const { type: _type, session_id: sessionId, expires_at: expiresAt, raw, ...rest } = importSchema.parse(body);
    // Without a session the credentials are due at once: the first upkeep or read signs in.
    if (sessionId === undefined) return { type: 'BILL', ...rest, expires_at: now.toISOString(), raw: raw ?? {} };
    return { type: 'BILL', ...rest, session_id: sessionId, expires_at: expiresAt ?? new Date(now.getTime() + BILL_SESSION_LIFETIME_MS).toISOString(), raw: raw ?? {} };
  },
  checksImports: false,

  upkeep: () => ({ kind: 'mint', beforeExpiry: true }),

  async renew(input, call) {
    const session = await signIn(input.entry, input.credentials, input.connectionConfig, call);
    return { kind: 'renewed', credentials: session, expiresAt: bill.expiresAt(session), connectionConfig: {} };
  },

  expiresAt: (credentials) => dateOf(credentials.expires_at),

  authorize(request, { entry, credentials, connectionConfig }) {
    const withEntry = withProxyHeaders(request, entry, { credentials: { ...credentials }, connectionConfig });
    // Every organization-level Bill API call needs both (Bill's API reference, "API login").
    return withHeaders(withEntry, { devkey: credentials.dev_key, sessionid: credentials.session_id ?? '' });
  },

  secretsOf: (credentials) => secretStrings(credentials.password, credentials.dev_key, credentials.session_id),
};

/** `POST token_url` with the login; the session it opened, or a ProviderCallError (a 4xx: the login was refused). */
async function signIn(entry: ProviderEntry, login: Login, connectionConfig: ConnectionConfig, call: CallContext): Promise<BillCredentials> {
  if (entry.token_url === undefined) throw new CustodianError('missing_token_url', `${entry.display_name} has no token_url`);
  const answer = await callProvider({
    provider: entry.display_name,
    endpoint: 'login endpoint',
    url: interpolateUrl(entry.token_url, { entry, connectionConfig }),
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username: login.username, password: login.password, organizationId: login.organization_id, devKey: login.dev_key }),
    redirect: 'manual',
    timeoutMs: call.timeoutMs,
    secrets: [login.password, login.dev_key],
    describeBody: describeBillError,
    now: call.now,
    fetch: call.fetch,
    refusePrivateTargets: call.refusePrivateUserHosts === true && hostKeysOf(entry.token_url, connectionConfig) !== undefined,
  });
  if (!answer.ok) throw answer.refused('credentials_rejected');
  const body = sessionOf(answer);
  return {
    type: 'BILL',
    username: login.username,
    password: login.password,
    organization_id: typeof body['organizationId'] === 'string' ? body['organizationId'] : login.organization_id,
    dev_key: login.dev_key,
    session_id: body['sessionId'] as string,
    ...(typeof body['userId'] === 'string' ? { user_id: body['userId'] } : {}),
    expires_at: new Date(call.now.getTime() + BILL_SESSION_LIFETIME_MS).toISOString(),
    raw: body,
  };
}

function sessionOf(answer: ProviderAnswer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    throw answer.unusable('provider_malformed_response', ' with a body that is not JSON');
  }
  if (typeof body !== 'object' || body === null || typeof (body as Record<string, unknown>)['sessionId'] !== 'string') {
    throw answer.unusable('provider_malformed_response', ' without a sessionId');
  }
  return body as Record<string, unknown>;
}

/** Bill answers errors as `[{ code: "BDC_1109", message: "…" }]`. */
function describeBillError(text: string): string {
  try {
    const [first] = JSON.parse(text) as Array<{ code?: unknown; message?: unknown }>;
    const code = typeof first?.code === 'string' ? first.code.replace(/[^\w-]/g, '_').slice(0, 32) : undefined;
    return code === undefined ? '' : ` (${code})${typeof first?.message === 'string' ? `: ${first.message.slice(0, 200)}` : ''}`;
  } catch {
    return '';
  }
}
