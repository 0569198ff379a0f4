/**
 * An in-memory provider for exercising strategies without a network: a `fetch` that records every request
 * and answers it the way a provider answers that kind of request (discovery metadata, a client
 * registration, an OAuth 1.0a request token, a token response, an API call), judged from the request alone.
 */

/** One request as the strategy sent it. Header names are lower-case. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A recording provider: its `fetch` for a CallContext, and what it received. */
export interface RecordingProvider {
  readonly fetch: typeof fetch;
  readonly requests: readonly RecordedRequest[];
}

const PROTECTED_RESOURCE = '/.well-known/oauth-protected-resource';
const AUTHORIZATION_SERVER = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/**
 * A provider that takes `submitted` (the values an end user typed, the client secret…) as valid credentials:
 * an API request carrying one of them gets a 200, and so does a GET carrying none (public information);
 * any other request carrying none gets a 401 with an OAuth protected-resource challenge (RFC 9728 §5.1),
 * as an MCP server answers.
 */
export function recordingProvider(submitted: readonly string[]): RecordingProvider {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = await recorded(input, init);
    requests.push(request);
    return answer(request, submitted);
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

/**
 * Whether `request` carries one of `values`: as sent, form- or URL-encoded, inside a base64 header
 * credential (`Basic …`, Workday's `ID …`), or in the claims of a JWT it carries (a signed assertion).
 */
export function carriesAny(request: RecordedRequest, values: readonly string[]): boolean {
  const sent = [request.url, safeDecode(request.url), request.body, safeDecode(request.body.replace(/\+/g, ' ')), ...Object.values(request.headers)];
  const encoded = Object.values(request.headers).flatMap((value) => {
    const match = /^[A-Za-z-]+\s+([A-Za-z0-9+/=_-]{8,})$/.exec(value);
    return match?.[1] ? [Buffer.from(match[1], 'base64').toString('utf8')] : [];
  });
  const claims = sent.flatMap((text) => [...text.matchAll(JWT)].flatMap((match) => [match[1], match[2]].map((part) => Buffer.from(part ?? '', 'base64url').toString('utf8'))));
  const text = [...sent, ...encoded, ...claims].join('\n');
  return values.some((value) => value !== '' && text.includes(value));
}

const JWT = /\b(eyJ[A-Za-z0-9_-]+)\.(eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*/g;

function answer(request: RecordedRequest, submitted: readonly string[]): Response {
  const url = new URL(request.url);
  if (url.pathname.startsWith(PROTECTED_RESOURCE)) {
    return json({ resource: `${url.origin}${url.pathname.slice(PROTECTED_RESOURCE.length)}`, authorization_servers: [url.origin] });
  }
  if (AUTHORIZATION_SERVER.some((path) => url.pathname.startsWith(path) || url.pathname.endsWith(path))) return json(serverMetadata(url.origin));
  const form = formOf(request);
  if (request.method === 'POST' && Array.isArray(jsonOf(request.body)?.['redirect_uris'])) {
    return json({ client_id: 'registered-client-id', client_secret: 'registered-client-secret', client_id_issued_at: 1_780_000_000 }, 201);
  }
  // OAuth 1.0a (RFC 5849 §2.1, §2.3): the request and access token endpoints answer form-encoded.
  if (/^oauth\s/i.test(request.headers['authorization'] ?? '')) {
    return new Response('oauth_token=recorded-oauth-token&oauth_token_secret=recorded-oauth-secret&oauth_callback_confirmed=true', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
  if (form.has('grant_type') || url.searchParams.has('grant_type')) {
    return json({ access_token: 'recorded-access-token', token_type: 'Bearer', expires_in: 3600, refresh_token: 'recorded-refresh-token' });
  }
  // A GET without credentials reads public information (a discovery document); anything else needs them.
  if (carriesAny(request, submitted) || request.method === 'GET') return json({ ok: true });
  return json({ error: 'unauthorized' }, 401, { 'www-authenticate': `Bearer resource_metadata="${url.origin}${PROTECTED_RESOURCE}"` });
}

function serverMetadata(origin: string): Record<string, unknown> {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
  };
}

async function recorded(input: string | URL | Request, init: RequestInit): Promise<RecordedRequest> {
  const request = input instanceof Request ? input : undefined;
  const headers = new Headers(init.headers ?? request?.headers);
  return {
    method: (init.method ?? request?.method ?? 'GET').toUpperCase(),
    url: request?.url ?? String(input),
    headers: Object.fromEntries([...headers].map(([name, value]) => [name.toLowerCase(), value])),
    body: init.body !== undefined && init.body !== null ? await new Response(init.body).text() : request ? await request.text() : '',
  };
}

function formOf(request: RecordedRequest): URLSearchParams {
  const parsed = jsonOf(request.body);
  if (parsed) return new URLSearchParams(Object.entries(parsed).flatMap(([key, value]): [string, string][] => (typeof value === 'string' ? [[key, value]] : [])));
  return new URLSearchParams(request.body);
}

function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
