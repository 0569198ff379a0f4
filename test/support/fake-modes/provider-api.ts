/**
 * A provider's own API on the fake provider, for the proxy: `/api/echo` answers what it received (if the
 * bearer token is one the provider issued), `/api/status` answers a queued list of statuses, and
 * `/api/redirect` sends the client elsewhere.
 */
import { createHash } from 'node:crypto';
import type { FakeProvider, FakeRouteAnswer, FakeRouteRequest } from '../fake-provider';

/** What `/api/echo` saw. */
export interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
  bodySha256: string;
}

export interface ProviderApi {
  /** Statuses `/api/status` answers, in turn (then 200). */
  statuses: Array<{ status: number; headers?: Record<string, string> }>;
  /** Calls of `/api/status`. */
  statusCalls: number;
}

/** Mounts the API endpoints on `provider`; `echo` requires a valid bearer token unless `open` is set. */
export function mountProviderApi(provider: FakeProvider): ProviderApi {
  const api: ProviderApi = { statuses: [], statusCalls: 0 };
  const echo = (request: FakeRouteRequest): FakeRouteAnswer => {
    const bearer = /^Bearer (.+)$/.exec(String(request.req.headers.authorization ?? ''))?.[1];
    if (request.url.searchParams.get('open') !== 'true' && (bearer === undefined || !provider.isAccessTokenValid(bearer))) {
      return { status: 401, body: { error: 'invalid_token' }, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    }
    const raw = Buffer.from(request.rawBody, 'utf8');
    const seen: Echo = {
      method: request.call.method,
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      headers: request.req.headers,
      bodyLength: raw.length,
      bodySha256: createHash('sha256').update(raw).digest('hex'),
    };
    return {
      status: 200,
      body: seen,
      headers: {
        'x-request-id': 'req-123',
        'x-provider-note': 'kept',
        'set-cookie': 'provider-session=abc; HttpOnly',
        'access-control-allow-origin': '*',
        'cache-control': 'private, max-age=60',
      },
    };
  };
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) provider.mount(method, '/api/echo', echo);
  const status = (): FakeRouteAnswer => {
    api.statusCalls += 1;
    const next = api.statuses.shift();
    return next ? { status: next.status, body: { status: next.status }, headers: next.headers } : { status: 200, body: { ok: true, calls: api.statusCalls } };
  };
  for (const method of ['GET', 'POST']) provider.mount(method, '/api/status', status);
  provider.mount('GET', '/api/redirect', (request) => ({ status: 302, headers: { location: request.url.searchParams.get('to') ?? '/api/echo' } }));
  provider.mount('POST', '/api/redirect-307', () => ({ status: 307, headers: { location: '/api/echo' } }));
  return api;
}
