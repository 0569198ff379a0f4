/**
 * Binds an OAuth attempt to the browser that started it (issue 10 item 6): `GET /oauth/connect/:key`
 * sets a cookie named after a hash of the attempt's state and holding that hash; `GET /oauth/callback`
 * takes the attempt only from a browser that sends it back. A leaked authorize URL, or a Connect UI
 * framed by someone else, cannot be finished in another person's browser.
 *
 * One cookie per attempt (the name derives from the state), so several attempts in one browser each
 * keep their own. `HttpOnly`, `SameSite=Lax` (the provider's top-level GET redirect back carries it),
 * `Path=/oauth` (and each other callback route of a mode, e.g. `/app-auth/connect`), the attempt's lifetime, `Secure` when `SERVER_URL` is https.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const PREFIX = 'custodian_flow_';

/** The state's hash (base64url SHA-256), and the cookie name derived from it. */
function binding(state: string): { name: string; value: string } {
  const value = createHash('sha256').update(`custodian-flow:${state}`).digest('base64url');
  return { name: `${PREFIX}${value.slice(0, 16)}`, value };
}

function attributes(serverUrl: string, maxAgeSeconds: number, path: string): string {
  const secure = serverUrl.startsWith('https:') ? '; Secure' : '';
  return `Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * Where the cookie is sent: `/oauth` (connect and callback), and each other callback route a mode comes
 * back to (a GitHub App's `/app-auth/connect`), one cookie of the same name per path.
 */
function cookiePaths(callbackRoutes: readonly string[]): string[] {
  return [...new Set(['/oauth', ...callbackRoutes])];
}

/** Sets the attempt's binding cookie on the `/oauth/connect` response. */
export function bindFlowToBrowser(ctx: Context, state: string, serverUrl: string, expiresAt: Date, callbackRoutes: readonly string[] = []): void {
  const { name, value } = binding(state);
  const maxAge = Math.max(1, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
  for (const path of cookiePaths(callbackRoutes)) ctx.append('Set-Cookie', `${name}=${value}; ${attributes(serverUrl, maxAge, path)}`);
}

/** Whether the callback's browser holds the binding cookie of this state. */
export function isBoundToBrowser(ctx: Context, state: string): boolean {
  const { name, value } = binding(state);
  const sent = cookieValues(ctx.get('cookie'), name);
  const expected = Buffer.from(value);
  return sent.some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** Expires the attempt's binding cookie once its callback was taken. */
export function clearFlowBinding(ctx: Context, state: string, serverUrl: string, callbackRoutes: readonly string[] = []): void {
  for (const path of cookiePaths(callbackRoutes)) ctx.append('Set-Cookie', `${binding(state).name}=; ${attributes(serverUrl, 0, path)}`);
}

function cookieValues(header: string, name: string): string[] {
  return header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1));
}
