/** Backend (secret key) and browser (connect session token) authentication, as Koa middleware. */
import type { Context, Middleware } from 'koa';
import { AuthenticationError } from '../../errors';
import { routeTrait, type AuthTrait } from '../openapi/route-doc';
import { SECRET_KEY_FORMAT } from '../../environments/secret-key';
import type { ApiDeps, ApiState, Caller } from '../context';
import { readJsonBody } from '../middleware/json-body';
import { bearerToken } from './bearer-token';
import { CONNECT_SESSION_PREFIX, findLiveSession } from './connect-session-token';

async function bySecretKey(deps: ApiDeps, token: string): Promise<Caller> {
  if (!SECRET_KEY_FORMAT.test(token)) throw new AuthenticationError('invalid_secret_key_format', 'The secret key must be a UUID v4');
  const environment = await deps.environments.findBySecretKey(token);
  if (!environment) throw new AuthenticationError('unknown_account', 'No environment has this secret key');
  return { kind: 'secret_key', environment };
}

async function bySession(deps: ApiDeps, token: string): Promise<Caller> {
  const session = await findLiveSession(deps.db, token);
  const environment = await deps.environments.findById(session.environmentId);
  if (!environment) throw new AuthenticationError('unknown_connect_session_token', 'Unknown or expired connect session token');
  return { kind: 'session', environment, session };
}

function missing(): AuthenticationError {
  return new AuthenticationError('missing_auth_header', 'Authentication is required: send "Authorization: Bearer <secret key>"');
}

/** The caller's token: the bearer header, else (browser routes) the `connect_session_token` query parameter. */
function tokenOf(ctx: Context, acceptQueryToken: boolean): string {
  const queryToken = typeof ctx.query.connect_session_token === 'string' ? ctx.query.connect_session_token : undefined;
  const token = bearerToken(ctx.get('authorization')) ?? (acceptQueryToken ? queryToken : undefined);
  if (token === undefined) throw missing();
  return token;
}

/** A middleware that resolves the caller from its token, leaves it on `ctx.state.caller`, then reads the JSON body. */
function authenticate(resolve: (token: string) => Promise<Caller>, acceptQueryToken: boolean, auth: AuthTrait, readBody = true): Middleware<ApiState> {
  return routeTrait<Middleware<ApiState>>(async (ctx, next) => {
    ctx.state.caller = await resolve(tokenOf(ctx, acceptQueryToken));
    // Only now: an unauthenticated request's body is never read or parsed.
    if (readBody) await readJsonBody(ctx);
    await next();
  }, { kind: 'auth', auth });
}

/** Backends only, and the body left unread: the route streams it elsewhere (the proxy). */
export function requireSecretKeyStreamingBody(deps: ApiDeps): Middleware<ApiState> {
  return authenticate((token) => bySecretKey(deps, token), false, 'secret_key', false);
}

/** Routes for backends only: a secret key; a session token is never tried as one. */
export function requireSecretKey(deps: ApiDeps): Middleware<ApiState> {
  return authenticate((token) => bySecretKey(deps, token), false, 'secret_key');
}

/** Routes a browser may also call: a secret key, or a session token (header or `connect_session_token` query). */
export function requireSecretKeyOrSession(deps: ApiDeps): Middleware<ApiState> {
  return authenticate((token) => (token.startsWith(CONNECT_SESSION_PREFIX) ? bySession(deps, token) : bySecretKey(deps, token)), true, 'secret_key_or_session');
}

/** Routes for the Connect UI only: a session token; a secret key does not open them. */
export function requireSession(deps: ApiDeps): Middleware<ApiState> {
  return authenticate((token) => bySession(deps, token), true, 'connect_session');
}
