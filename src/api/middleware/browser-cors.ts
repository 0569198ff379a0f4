/** CORS for the browser-facing routes only (API.md §0): any origin, the headers the Connect UI and SDKs send. */
import cors from '@koa/cors';
import type { Middleware } from 'koa';

const BROWSER_PATHS = [/^\/connect(\/|$)/, /^\/providers(\/|$)/, /^\/oauth\//, /^\/api-auth\//, /^\/auth\//, /^\/logos\//];
const ALLOWED_HEADERS = [
  'Authorization', 'Content-Type', 'Accept', 'Origin', 'X-Requested-With',
  'Nango-Is-Sync', 'Nango-Is-Script', 'Nango-Is-Dry-Run', 'Nango-Activity-Log-Id', 'Connection-Id', 'Provider-Config-Key',
];

function isBrowserFacing(method: string, path: string): boolean {
  // Only GET /integrations is for browsers (listing the session's integrations); the rest of /integrations is backend-only.
  if (path === '/integrations') return method === 'GET' || method === 'OPTIONS';
  return BROWSER_PATHS.some((re) => re.test(path));
}

/** Answers preflights and adds CORS headers on browser-facing routes. */
export function browserCors(): Middleware {
  const handle = cors({ origin: '*', allowHeaders: ALLOWED_HEADERS, allowMethods: ['GET', 'POST', 'DELETE', 'PATCH', 'OPTIONS'], maxAge: 600 });
  return async (ctx, next) => (isBrowserFacing(ctx.method, ctx.path) ? handle(ctx, next) : next());
}
