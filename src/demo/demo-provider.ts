/**
 * The demo OAuth 2.0 provider `npm run dev` serves on loopback, so a first connection needs no account
 * anywhere: an authorize page with an Authorize button (RFC 6749 §4.1, PKCE S256 per RFC 7636), a token
 * endpoint issuing short-lived access tokens and a new refresh token on every refresh (the old one keeps
 * working for a short grace period, as rotating providers allow), and a `/me` API that needs a valid token.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizePage } from './authorize-page';
import { DemoTokens, type DemoClaims } from './demo-tokens';

/** The OAuth client the demo provider knows (public values: they guard nothing). */
export const DEMO_CLIENT = Object.freeze({ id: 'demo-client', secret: 'demo-secret' });

/** The one account behind the authorize page. */
export const DEMO_USER = Object.freeze({ id: 'demo-user-1', name: 'Ada Demo', email: 'ada@example.com' });

const ACCESS_TOKEN_LIFETIME_MS = 5 * 60_000;
const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;
const CODE_LIFETIME_MS = 60_000;
/** How long a refresh token still works after it was exchanged (a lost answer can be retried). */
const ROTATION_GRACE_MS = 60_000;
const MAX_BODY_BYTES = 64 * 1024;

export interface DemoProviderOptions {
  /** HMAC key of codes and tokens (kept in the data directory, so a restart accepts earlier tokens). */
  key: Buffer;
  /** Port on 127.0.0.1; 0 (default): any free port. */
  port?: number;
  /** Lifetime of access tokens; defaults to five minutes. */
  accessTokenLifetimeMs?: number;
}

export interface DemoProvider {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Token requests answered, by grant type (what a user watches grow in the Temporal UI). */
  readonly grants: Readonly<Record<'authorization_code' | 'refresh_token', number>>;
  close(): Promise<void>;
}

class OAuthError extends Error {
  constructor(readonly status: number, readonly error: string, description: string) {
    super(description);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new OAuthError(413, 'invalid_request', 'body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(text || '{}') as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
  }
  return new URLSearchParams(text);
}

/** client_secret_basic or client_secret_post (RFC 6749 §2.3.1). */
function checkClient(req: IncomingMessage, form: URLSearchParams): void {
  let id = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    id = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (id !== DEMO_CLIENT.id || secret !== DEMO_CLIENT.secret) {
    throw new OAuthError(401, 'invalid_client', `unknown client or wrong secret (the demo client is ${DEMO_CLIENT.id} / ${DEMO_CLIENT.secret})`);
  }
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method'];

/** Starts the demo provider on 127.0.0.1. */
export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const tokens = new DemoTokens(options.key);
  const accessLifetime = options.accessTokenLifetimeMs ?? ACCESS_TOKEN_LIFETIME_MS;
  const grants = { authorization_code: 0, refresh_token: 0 };
  /** Codes already exchanged (single use) and refresh tokens already rotated, with when; pruned as they expire. */
  const usedCodes = new Map<string, number>();
  const rotated = new Map<string, number>();

  const prune = (now: number) => {
    for (const [jti, at] of usedCodes) if (at + CODE_LIFETIME_MS < now) usedCodes.delete(jti);
    for (const [jti, at] of rotated) if (at + ROTATION_GRACE_MS < now) rotated.delete(jti);
  };

  const tokenSet = (sub: string, scope: string, now: number) => ({
    access_token: tokens.issue('access', { sub, scope, exp: now + accessLifetime }),
    refresh_token: tokens.issue('refresh', { sub, scope, exp: now + REFRESH_TOKEN_LIFETIME_MS }),
    token_type: 'Bearer',
    expires_in: Math.floor(accessLifetime / 1000),
    scope,
  });

  const authorizeRequest = (params: URLSearchParams): Record<string, string> => {
    const picked = Object.fromEntries(AUTHORIZE_PARAMS.flatMap((name) => (params.has(name) ? [[name, params.get(name)!]] : [])));
    if (picked.client_id !== DEMO_CLIENT.id) throw new OAuthError(400, 'invalid_client', `unknown client_id (the demo client is ${DEMO_CLIENT.id})`);
    if (!picked.redirect_uri || !URL.canParse(picked.redirect_uri)) throw new OAuthError(400, 'invalid_request', 'redirect_uri is missing or not a URL');
    if (picked.response_type !== 'code') throw new OAuthError(400, 'unsupported_response_type', 'only response_type=code');
    if (picked.code_challenge && picked.code_challenge_method !== 'S256') throw new OAuthError(400, 'invalid_request', 'code_challenge_method must be S256');
    return picked;
  };

  const backTo = (request: Record<string, string>, result: Record<string, string>): string => {
    const target = new URL(request.redirect_uri!);
    for (const [name, value] of Object.entries({ ...result, ...(request.state ? { state: request.state } : {}) })) target.searchParams.set(name, value);
    return target.toString();
  };

  const exchangeCode = (form: URLSearchParams, now: number): DemoClaims => {
    const claims = tokens.read('code', form.get('code') ?? undefined, now);
    if (!claims || usedCodes.has(claims.jti)) throw new OAuthError(400, 'invalid_grant', 'the code is unknown, expired or already used');
    usedCodes.set(claims.jti, now);
    if (claims.redirect_uri !== form.get('redirect_uri')) throw new OAuthError(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    if (claims.code_challenge) {
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== claims.code_challenge) throw new OAuthError(400, 'invalid_grant', 'code_verifier does not match');
    }
    return claims;
  };

  const rotateRefreshToken = (form: URLSearchParams, now: number): DemoClaims => {
    const claims = tokens.read('refresh', form.get('refresh_token') ?? undefined, now);
    const rotatedAt = claims ? rotated.get(claims.jti) : undefined;
    if (!claims || (rotatedAt !== undefined && rotatedAt + ROTATION_GRACE_MS < now)) {
      throw new OAuthError(400, 'invalid_grant', 'the refresh token is unknown, expired or was rotated');
    }
    if (rotatedAt === undefined) rotated.set(claims.jti, now);
    return claims;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const now = Date.now();
    prune(now);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Custodian's demo OAuth 2.0 provider (npm run dev).\nClient: ${DEMO_CLIENT.id} / ${DEMO_CLIENT.secret}\nGET /oauth/authorize, POST /oauth/token, GET /me (Bearer token)\nAccess tokens expire after ${Math.round(accessLifetime / 60_000)} minutes; every refresh rotates the refresh token.\n`);
      return;
    }
    if (route === 'GET /oauth/authorize') {
      const request = authorizeRequest(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(authorizePage(request, DEMO_USER));
      return;
    }
    if (route === 'POST /oauth/authorize') {
      const form = await readForm(req);
      const request = authorizeRequest(form);
      if (form.get('decision') !== 'allow') return redirect(res, backTo(request, { error: 'access_denied', error_description: 'The user denied access' }));
      const code = tokens.issue('code', {
        sub: DEMO_USER.id, scope: request.scope ?? '', exp: now + CODE_LIFETIME_MS,
        redirect_uri: request.redirect_uri, client_id: request.client_id, code_challenge: request.code_challenge,
      });
      return redirect(res, backTo(request, { code }));
    }
    if (route === 'POST /oauth/token') {
      const form = await readForm(req);
      checkClient(req, form);
      const grant = form.get('grant_type');
      if (grant !== 'authorization_code' && grant !== 'refresh_token') throw new OAuthError(400, 'unsupported_grant_type', 'authorization_code or refresh_token');
      const claims = grant === 'authorization_code' ? exchangeCode(form, now) : rotateRefreshToken(form, now);
      grants[grant] += 1;
      return sendJson(res, 200, tokenSet(claims.sub, claims.scope, now));
    }
    if (route === 'GET /me') {
      const claims = tokens.read('access', /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1], now);
      if (!claims) return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return sendJson(res, 200, { ...DEMO_USER, id: claims.sub, scope: claims.scope, token_expires_at: new Date(claims.exp).toISOString() });
    }
    sendJson(res, 404, { error: 'not_found', routes: ['GET /oauth/authorize', 'POST /oauth/token', 'GET /me'] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof OAuthError) return sendJson(res, error.status, { error: error.error, error_description: error.message });
      sendJson(res, 400, { error: 'invalid_request', error_description: 'malformed request' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    grants,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
