/**
 * A catalogue of malformed requests for every route family of API.md: odd ids in the path, bad query
 * strings and numbers, bad JSON and wrong types in bodies, reserved keys, oversized bodies and bad
 * authentication. Every request here is malformed in exactly the way its label says, on a route
 * whose valid form would be accepted, so an answer ≥ 500 or a change in the database is a bug.
 */
import type { RawRequest } from './raw-http';

/** What the generator needs from the running system. */
export interface Fixtures {
  secretKey: string;
  sessionToken: string;
  /** A live connection of integration `oauthKey`. */
  connectionId: string;
  oauthKey: string;
  apiKeyKey: string;
  basicKey: string;
  clientCredentialsKey: string;
  unauthenticatedKey: string;
}

export interface MalformedRequest extends RawRequest {
  /** Route family and what is wrong, for failure messages. */
  label: string;
  family: string;
  /** `/oauth/callback` answers its HTML error page to the browser (API.md §4), not JSON. */
  htmlErrorPage?: boolean;
}

/** `either`: a secret key or a session token (API.md §3 browser-readable routes). */
type Auth = 'secret' | 'either' | 'session' | 'none';
type FieldKind = 'id' | 'string' | 'object' | 'boolean' | 'array' | 'number' | 'credentials';

interface RouteSpec {
  family: string;
  method: string;
  /** With `{id}` where the path parameter goes. */
  path: string;
  /** The path parameter of a valid request. */
  id?: string;
  auth: Auth;
  /** A valid query (values unencoded). */
  query?: Record<string, string>;
  /** Query parameters that hold numbers. */
  numbers?: string[];
  /** A valid body and the kind of each top-level field. */
  body?: { value: Record<string, unknown>; kinds: Record<string, FieldKind> };
  /** Send no parseable JSON body at all (routes that ignore bodies but would act on a valid call). */
  noValidBodies?: boolean;
  /** Only authentication mutations: any request that authenticates would act (revoke a session, rotate a key). */
  authOnly?: boolean;
  htmlErrorPage?: boolean;
}

/** Path parameters as they appear in the request target: NUL, encoded lone surrogates, 10k chars, dot segments, malformed `%`, odd unicode. */
const ODD_PATH_IDS = [
  '%00', 'a%00b', '%ED%A0%80', '%ED%B0%80', 'x'.repeat(10_000), '%2E%2E', '..%2F..%2Fetc%2Fpasswd', '%', 'a%', '%E2%82', '%ZZ',
  '%C0%AE', '%F0%9F%98%80%00', '%0D%0Aset-cookie:%20x', '%EF%BF%BF%00', '%25%00',
];

/** Query values: NUL, malformed `%`, truncated UTF-8 (not valid percent-encoding), 10k chars. */
const BAD_QUERY_VALUES = ['%00', 'a%00b', '%', 'abc%', '%E0%A4%A', '%ZZ', '%ED%A0%80%00'];

/** Numbers no bounded parameter takes. */
const BAD_NUMBERS = ['NaN', '-1', '1e309', '18446744073709551616', '9223372036854775808', '99999999999999999999999', '1.5', '0x10', '', '%20', 'Infinity', '-0', '+1', '1e3', '1%00', '1,2'];

/** Query parameters no route takes: reserved names, also as bracket keys. */
const RESERVED_QUERY = [
  '__proto__=1', 'constructor=x', 'prototype=x', 'tags[__proto__]=x', 'tags[constructor]=x', 'tags[prototype]=x', 'params[__proto__]=x',
  'authorization_params[constructor]=x', '__proto__[polluted]=1', 'tags[%00]=x', 'params[a%00]=x',
];

const NUL = '\u0000';
const HIGH = '\ud800';
const LOW = '\udc00';

/** Values wrong for every field of the kind given (none is accepted by any field of that kind). */
function wrongValues(kind: FieldKind): unknown[] {
  const everywhere = [`a${NUL}b`, `x${HIGH}`, `${LOW}y`, { __proto__x: 1, nested: { ['__proto__']: { polluted: true } } }];
  const typed: Record<FieldKind, unknown[]> = {
    id: [12345, true, [], {}, 'x'.repeat(10_000), ''],
    string: [12345, true, [], {}],
    object: [12345, true, 'text', [1, 2]],
    credentials: [
      12345, true, 'text', [1], {}, { type: 'NOPE' }, { type: 'OAUTH2', access_token: 'at', expires_at: '0000-01-01T00:00:00Z' },
      { type: 'OAUTH2', access_token: 'at', expires_at: '2020-02-30T00:00:00Z' }, { type: 'OAUTH2', access_token: 'at', expires_at: 1700000000 },
    ],
    boolean: [12345, 'yes', [], {}],
    array: [12345, true, 'text', {}],
    number: ['12', true, [], {}, -1, 0, 1.5, 9007199254740991, 1e308, '1e309'],
  };
  return [...typed[kind], ...everywhere];
}

/** A JSON text with `key` set to a reserved name (JSON.stringify cannot write `__proto__` from an object literal). */
function withReservedKey(body: Record<string, unknown>, key: string, nestedIn?: string): string {
  const injected = `"${key}":{"polluted":true}`;
  if (nestedIn === undefined) return `{${injected},${JSON.stringify(body).slice(1)}`;
  return JSON.stringify({ ...body, [nestedIn]: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', `{${injected}}`);
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function target(spec: RouteSpec, id: string | undefined, query: string): string {
  const path = spec.path.replace('{id}', id ?? spec.id ?? '');
  return query === '' ? path : `${path}?${query}`;
}

function authHeaders(spec: RouteSpec, fixtures: Fixtures): Record<string, string> {
  if (spec.auth === 'secret' || spec.auth === 'either') return { Authorization: `Bearer ${fixtures.secretKey}` };
  if (spec.auth === 'session') return { Authorization: `Bearer ${fixtures.sessionToken}` };
  return {};
}

/** Authorization headers no route accepts, with the route's own token where one would be wrong. */
function badAuthorizations(spec: RouteSpec, fixtures: Fixtures): Record<string, string>[] {
  const unknownUuid = '0b9f5c8e-1c2d-4e3f-8a4b-5c6d7e8f9a0b';
  const values = [
    'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer not-a-uuid', 'Bearer 0b9f5c8e-1c2d-1e3f-8a4b-5c6d7e8f9a0b', `Bearer ${unknownUuid}`,
    `Bearer ${unknownUuid} extra`, `Bearer ${'a'.repeat(8000)}`, 'Bearer \u00e9\u00e9\u00e9', `Bearer nango_connect_session_${'z'.repeat(64)}`,
    `Bearer nango_connect_session_${'0'.repeat(64)}`, `Bearer nango_connect_session_${'0'.repeat(63)}`, 'Token abc', `Bearer ${unknownUuid.toUpperCase()}x`,
  ];
  const headers: Record<string, string>[] = values.map((value) => ({ Authorization: value }));
  headers.push({});
  // The wrong kind of valid token: a session never opens backend routes, a secret key never opens session-only routes.
  if (spec.auth === 'secret') headers.push({ Authorization: `Bearer ${fixtures.sessionToken}` });
  if (spec.auth === 'session') headers.push({ Authorization: `Bearer ${fixtures.secretKey}` });
  return spec.auth === 'none' ? headers.slice(0, 5) : headers;
}

function specs(f: Fixtures): RouteSpec[] {
  const get = { provider_config_key: f.oauthKey, force_refresh: 'false', refresh_token: 'false', refresh_github_app_jwt_token: 'false' };
  const key = { provider_config_key: f.oauthKey };
  const importBody = {
    value: { provider_config_key: f.oauthKey, connection_id: 'malformed-import', metadata: { plan: 'pro' }, connection_config: {}, tags: { team: 'core' }, end_user: { id: 'eu-1' }, credentials: { type: 'OAUTH2', access_token: 'at' } },
    kinds: { provider_config_key: 'id', connection_id: 'id', metadata: 'object', connection_config: 'object', tags: 'object', end_user: 'object', credentials: 'credentials' } as Record<string, FieldKind>,
  };
  const legacyBody = {
    value: { provider_config_key: f.oauthKey, connection_id: 'malformed-legacy', access_token: 'at', expires_in: 3600, metadata: { a: 1 } },
    kinds: { provider_config_key: 'id', connection_id: 'id', access_token: 'string', expires_in: 'number', metadata: 'object' } as Record<string, FieldKind>,
  };
  const patchBody = { value: { tags: { team: 'core' }, end_user: { id: 'eu-2' } }, kinds: { tags: 'object', end_user: 'object' } as Record<string, FieldKind> };
  const metadataBody = {
    value: { connection_id: f.connectionId, provider_config_key: f.oauthKey, metadata: { plan: 'pro' } },
    kinds: { connection_id: 'id', provider_config_key: 'id', metadata: 'object' } as Record<string, FieldKind>,
  };
  const integrationBody = {
    value: { provider: 'github', unique_key: 'malformed-gh', display_name: 'GH', forward_webhooks: true, credentials: { type: 'OAUTH2', client_id: 'id', client_secret: 'secret' } },
    kinds: { provider: 'id', unique_key: 'id', display_name: 'string', forward_webhooks: 'boolean', credentials: 'credentials' } as Record<string, FieldKind>,
  };
  const sessionBody = {
    value: { end_user: { id: 'eu-3', email: 'eu@example.com' }, allowed_integrations: [f.oauthKey], tags: { team: 'core' } },
    kinds: { end_user: 'object', allowed_integrations: 'array', tags: 'object' } as Record<string, FieldKind>,
  };
  const reconnectBody = {
    value: { connection_id: f.connectionId, integration_id: f.oauthKey, end_user: { id: 'eu-4' } },
    kinds: { connection_id: 'id', integration_id: 'id', end_user: 'object' } as Record<string, FieldKind>,
  };
  const environmentBody = {
    value: { webhook: { primary_url: 'http://127.0.0.1:9/hook', on_auth_creation: true }, callback_url: '', connect_ui: { theme: 'dark' } },
    kinds: { webhook: 'object', callback_url: 'string', connect_ui: 'object' } as Record<string, FieldKind>,
  };
  const session = { connect_session_token: f.sessionToken };
  const out: RouteSpec[] = [];
  for (const prefix of ['/connections', '/connection']) {
    const family = prefix === '/connections' ? 'connections' : 'connections (legacy /connection)';
    out.push(
      { family, method: 'GET', path: `${prefix}/{id}`, id: f.connectionId, auth: 'secret', query: get },
      { family, method: 'GET', path: prefix, auth: 'secret', query: { connectionId: f.connectionId, search: 'conn', endUserId: 'eu', integrationId: f.oauthKey, 'tags[team]': 'core', limit: '10', page: '0' }, numbers: ['limit', 'page'] },
      { family, method: 'PATCH', path: `${prefix}/{id}`, id: f.connectionId, auth: 'secret', query: key, body: patchBody },
      { family, method: 'DELETE', path: `${prefix}/{id}`, id: f.connectionId, auth: 'secret', query: key, noValidBodies: true },
      { family: 'connection logs', method: 'GET', path: `${prefix}/{id}/logs`, id: f.connectionId, auth: 'secret', query: { ...key, limit: '10', cursor: '100' }, numbers: ['limit', 'cursor'] },
      { family: 'metadata', method: 'POST', path: `${prefix}/metadata`, auth: 'secret', body: metadataBody },
      { family: 'metadata', method: 'PATCH', path: `${prefix}/metadata`, auth: 'secret', body: metadataBody },
    );
  }
  out.push(
    { family: 'connections', method: 'POST', path: '/connections', auth: 'secret', body: importBody },
    { family: 'connections (legacy /connection)', method: 'POST', path: '/connection', auth: 'secret', body: legacyBody },
    { family: 'integrations', method: 'GET', path: '/integrations', auth: 'either' },
    { family: 'integrations', method: 'GET', path: '/integrations/{id}', id: f.oauthKey, auth: 'secret', query: { include: 'credentials' } },
    { family: 'integrations', method: 'POST', path: '/integrations', auth: 'secret', body: integrationBody },
    { family: 'integrations', method: 'PATCH', path: '/integrations/{id}', id: f.apiKeyKey, auth: 'secret', body: { value: { display_name: 'Renamed' }, kinds: { display_name: 'string' } } },
    { family: 'integrations', method: 'DELETE', path: '/integrations/{id}', id: f.basicKey, auth: 'secret', noValidBodies: true },
    { family: 'providers', method: 'GET', path: '/providers', auth: 'either', query: { search: 'git' } },
    { family: 'providers', method: 'GET', path: '/providers/{id}', id: 'github', auth: 'either' },
    { family: 'logos', method: 'GET', path: '/logos/{id}', id: 'github.svg', auth: 'none' },
    { family: 'connect sessions', method: 'POST', path: '/connect/sessions', auth: 'secret', body: sessionBody },
    { family: 'connect sessions', method: 'POST', path: '/connect/sessions/reconnect', auth: 'secret', body: reconnectBody },
    { family: 'connect sessions', method: 'GET', path: '/connect/session', auth: 'session' },
    { family: 'connect sessions', method: 'DELETE', path: '/connect/session', auth: 'session', authOnly: true },
    // Telemetry takes any JSON (and ignores it): only bodies that are not JSON, or carry what no body may, are malformed there.
    { family: 'connect sessions', method: 'POST', path: '/connect/telemetry', auth: 'none', noValidBodies: true },
    { family: 'environment', method: 'GET', path: '/environment', auth: 'secret' },
    { family: 'environment', method: 'PATCH', path: '/environment', auth: 'secret', body: environmentBody },
    { family: 'environment', method: 'POST', path: '/environment/webhook-signing-key/rotate', auth: 'secret', authOnly: true },
    { family: 'environment', method: 'POST', path: '/environment/secret-key/rotate', auth: 'secret', authOnly: true },
    { family: 'oauth/connect', method: 'GET', path: '/oauth/connect/{id}', id: f.oauthKey, auth: 'none', query: { ...session, ws_client_id: '3b241101-e2bb-4255-8caf-4136c566a962', 'params[tenant]': 'acme', 'authorization_params[prompt]': 'consent', user_scope: 'a,b' } },
    { family: 'oauth/callback', method: 'GET', path: '/oauth/callback', auth: 'none', query: { state: '3b241101-e2bb-4255-8caf-4136c566a962', code: 'code' }, htmlErrorPage: true },
    { family: 'oauth2/auth', method: 'POST', path: '/oauth2/auth/{id}', id: f.clientCredentialsKey, auth: 'none', query: session, body: { value: { client_id: 'id', client_secret: 'secret' }, kinds: { client_id: 'string', client_secret: 'string' } } },
    { family: 'api-auth', method: 'POST', path: '/api-auth/api-key/{id}', id: f.apiKeyKey, auth: 'none', query: session, body: { value: { apiKey: 'key' }, kinds: { apiKey: 'string' } } },
    { family: 'api-auth', method: 'POST', path: '/api-auth/basic/{id}', id: f.basicKey, auth: 'none', query: session, body: { value: { username: 'u', password: 'p' }, kinds: { username: 'string', password: 'string' } } },
    { family: 'auth/unauthenticated', method: 'POST', path: '/auth/unauthenticated/{id}', id: f.unauthenticatedKey, auth: 'none', query: session, noValidBodies: true },
    { family: 'connect UI assets', method: 'GET', path: '/connect/assets/{id}', id: 'app.js', auth: 'none' },
    { family: 'connect UI assets', method: 'GET', path: '/connect', auth: 'none' },
    { family: 'health', method: 'GET', path: '/health', auth: 'none' },
    { family: 'health', method: 'GET', path: '/health/ready', auth: 'none' },
  );
  return out;
}

/** The malformed variants of one route. */
function mutations(spec: RouteSpec, f: Fixtures): MalformedRequest[] {
  const out: MalformedRequest[] = [];
  const auth = authHeaders(spec, f);
  const baseQuery = queryString(spec.query ?? {});
  const jsonHeaders = { ...auth, 'Content-Type': 'application/json' };
  const validBody = spec.body ? JSON.stringify(spec.body.value) : undefined;
  const add = (what: string, request: Omit<MalformedRequest, 'label' | 'family' | 'method'>) =>
    out.push({ label: `${spec.method} ${spec.path} — ${what}`, family: spec.family, method: spec.method, htmlErrorPage: spec.htmlErrorPage, ...request });
  const withBody = (headers: Record<string, string>) => (validBody === undefined ? { headers } : { headers: { ...headers, 'Content-Type': 'application/json' }, body: validBody });

  for (const headers of badAuthorizations(spec, f)) {
    add(`Authorization ${JSON.stringify(headers.Authorization ?? '(none)').slice(0, 60)}`, { target: target(spec, undefined, spec.auth === 'none' ? baseQuery : baseQuery.replace(/connect_session_token=[^&]*/, 'connect_session_token=')), ...withBody(headers) });
  }
  // Header values Node's HTTP parser refuses (answered outside Koa, still in the envelope).
  add('NUL in the Authorization header', { target: target(spec, undefined, baseQuery), headers: { Authorization: `Bearer ${f.secretKey}\u0000` } });
  add('a 20 KB header', { target: target(spec, undefined, baseQuery), headers: { ...auth, 'X-Padding': 'p'.repeat(20_000) } });
  if (spec.authOnly) return out;

  if (spec.id !== undefined) {
    for (const id of ODD_PATH_IDS) add(`path id ${id.slice(0, 30)}`, { target: target(spec, id, baseQuery), ...withBody(auth) });
    add('raw non-ASCII bytes in the path', { target: target(spec, 'caf\u00e9\u00ed\u00a0\u0080', baseQuery), ...withBody(auth) });
  }

  const query = spec.query ?? {};
  for (const name of Object.keys(query)) {
    const rest = queryString(Object.fromEntries(Object.entries(query).filter(([k]) => k !== name)));
    const join = (extra: string) => (rest === '' ? extra : `${rest}&${extra}`);
    for (const value of BAD_QUERY_VALUES) add(`query ${name}=${value}`, { target: target(spec, undefined, join(`${encodeURIComponent(name)}=${value}`)), ...withBody(auth) });
    if (spec.numbers?.includes(name)) {
      for (const value of BAD_NUMBERS) add(`query ${name}=${value}`, { target: target(spec, undefined, join(`${encodeURIComponent(name)}=${value}`)), ...withBody(auth) });
    }
  }
  for (const extra of RESERVED_QUERY) add(`query ${extra}`, { target: target(spec, undefined, baseQuery === '' ? extra : `${baseQuery}&${extra}`), ...withBody(auth) });
  if (spec.query?.provider_config_key !== undefined) {
    for (const value of ['', 'x'.repeat(10_000), 'bad/key', 'a%00']) {
      add(`provider_config_key=${value.slice(0, 20)}`, { target: target(spec, undefined, baseQuery.replace(/provider_config_key=[^&]*/, `provider_config_key=${value}`)), ...withBody(auth) });
    }
    add('provider_config_key missing', { target: target(spec, undefined, baseQuery.replace(/provider_config_key=[^&]*&?/, '')), ...withBody(auth) });
    add('provider_config_key twice', { target: target(spec, undefined, `${baseQuery}&provider_config_key=${f.oauthKey}`), ...withBody(auth) });
  }
  if (spec.path.startsWith('/oauth/connect') || spec.path.startsWith('/api-auth') || spec.path.startsWith('/oauth2/auth') || spec.path.startsWith('/auth/')) {
    add('connection_id with a session', { target: target(spec, undefined, `${baseQuery}&connection_id=chosen`), ...withBody(auth) });
  }
  if (spec.path.startsWith('/oauth/connect')) {
    add('ws_client_id of 10k chars', { target: target(spec, undefined, `${baseQuery}&ws_client_id=${'w'.repeat(10_000)}`) });
    add('user_scope of 10k chars', { target: target(spec, undefined, `${baseQuery}&user_scope=${'s'.repeat(10_000)}`) });
  }

  if (spec.method === 'GET') return out; // a GET's body is not read (the SDK sends Content-Type: application/json on GETs)
  if (spec.method === 'DELETE' || spec.noValidBodies) {
    // Routes without a body still parse one: bad JSON is refused before anything runs (and never acted on).
    for (const text of ['{', '[1,]', 'nul', '{"a":1}}']) add(`body ${text}`, { target: target(spec, undefined, baseQuery), headers: jsonHeaders, body: text });
    add('body with a NUL string', { target: target(spec, undefined, baseQuery), headers: jsonHeaders, body: '{"a":"\\u0000"}' });
    return out;
  }
  if (!spec.body) return out;
  const t = target(spec, undefined, baseQuery);
  const body = spec.body;
  for (const text of ['{', '{"a":', '[1,]', 'nul', "{'a':1}", '{"a":1}}', 'NaN', '{"a":NaN}', '{"a":undefined}', '{"a":1,}', '"', '{"a":"\\x41"}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"\\u0000":1}']) {
    add(`body ${text}`, { target: t, headers: jsonHeaders, body: text });
  }
  for (const top of ['null', '[]', '1', '"text"', 'true', '[{}]']) add(`body ${top}`, { target: t, headers: jsonHeaders, body: top });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']) {
    add(`Content-Type ${type || '(none)'}`, { target: t, headers: type === '' ? auth : { ...auth, 'Content-Type': type }, body: validBody });
  }
  add('body over 1 MB', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, padding: 'p'.repeat(1_100_000) }) });
  add('Content-Length over 1 MB', { target: t, headers: { ...jsonHeaders, 'Content-Length': '5000000' }, body: validBody });
  add('a bad chunk size', { target: t, headers: { ...jsonHeaders, 'Transfer-Encoding': 'chunked' }, body: 'zz\r\n{}\r\n0\r\n\r\n' });
  // (A body shorter than it announced is not here: the server cannot tell it from a slow client and waits for the rest.)
  add('Content-Length and Transfer-Encoding together', { target: t, headers: { ...jsonHeaders, 'Transfer-Encoding': 'chunked', 'Content-Length': '2' }, body: '2\r\n{}\r\n0\r\n\r\n' });
  add('Content-Length not a number', { target: t, headers: { ...jsonHeaders, 'Content-Length': 'abc' }, body: '{}' });
  add('more bytes than Content-Length', { target: t, headers: { ...jsonHeaders, 'Content-Length': '1' }, body: '{"a":1}' });
  add('nested 100 deep', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, deep: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', nested(100)) });
  add('nested 100,000 deep', { target: t, headers: jsonHeaders, body: nested(100_000) });
  for (const reserved of ['__proto__', 'constructor', 'prototype']) {
    add(`top-level key ${reserved}`, { target: t, headers: jsonHeaders, body: withReservedKey(body.value, reserved) });
    for (const field of Object.keys(body.value).filter((k) => body.kinds[k] === 'object' || body.kinds[k] === 'credentials')) {
      add(`key ${reserved} inside ${field}`, { target: t, headers: jsonHeaders, body: withReservedKey(body.value, reserved, field) });
    }
  }
  if ('expires_in' in body.value) {
    for (const expiresAt of ['0000-01-01T00:00:00Z', '2020-02-30T00:00:00Z', '+275760-09-13T00:00:00Z', 'yesterday']) {
      add(`expires_at ${expiresAt}`, { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, expires_in: undefined, expires_at: expiresAt }) });
    }
  }
  for (const [field, kind] of Object.entries(body.kinds)) {
    for (const value of wrongValues(kind)) {
      add(`${field} = ${JSON.stringify(value).slice(0, 40)}`, { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, [field]: value }) });
    }
    if (kind === 'object') {
      add(`NUL deep inside ${field}`, { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, [field]: { a: { b: [{ c: `x${NUL}` }] } } }) });
      add(`lone surrogate key inside ${field}`, { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, [field]: { [`k${HIGH}`]: 'v' } }) });
    }
  }
  if ('metadata' in body.value) {
    add('metadata over 64 KB', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, metadata: { blob: 'm'.repeat(70_000) } }) });
    add('metadata nested 100,000 deep', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, metadata: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', nested(100_000)) });
    add('metadata over 64 KB in 3,000 keys', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, metadata: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`key${i}`, 'v'.repeat(20)])) }) });
  }
  if (spec.family === 'metadata') {
    add('101 connection ids', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, connection_id: Array.from({ length: 101 }, (_, i) => `c${i}`) }) });
    add('connection ids with a NUL one', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, connection_id: [f.connectionId, `c${NUL}`] }) });
    add('empty connection id list', { target: t, headers: jsonHeaders, body: JSON.stringify({ ...body.value, connection_id: [] }) });
  }
  return out;
}

/** Every malformed request of the catalogue, for the given fixtures. */
export function malformedRequests(fixtures: Fixtures): MalformedRequest[] {
  return specs(fixtures).flatMap((spec) => mutations(spec, fixtures));
}
