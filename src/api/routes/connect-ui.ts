/**
 * The Connect UI (DESIGN.md §7): static files from `src/connect-ui/` (plain ES modules, no build step),
 * read once at start. `GET /connect` and `/connect/` answer the page, `/connect/assets/<file>` its files.
 * The page is embeddable anywhere by default (`frame-ancestors *`: `@nangohq/frontend` puts it in an
 * iframe), or only by the origins of `CONNECT_UI_FRAME_ANCESTORS`; it runs only its own scripts and
 * talks only to this API.
 */
import Router from '@koa/router';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'koa';
import { z } from 'zod';
import { NotFoundError } from '../../errors';
import type { ApiDeps, ApiState } from '../context';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';

/** Where the UI's files are: beside `src/api/` in the sources and in `dist/src/` once built (`npm run build` copies them). */
export const CONNECT_UI_DIR = path.join(__dirname, '..', '..', 'connect-ui');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
// The assets are not fingerprinted: browsers may reuse them briefly, then revalidate (ETag).
const ASSET_CACHE = 'public, max-age=300, must-revalidate';
const PAGE_CACHE = 'no-cache';
const assetParams = z.object({ file: z.string().min(1).max(255) });

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

function staticFile(body: Buffer | string, type: string): StaticFile {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: bytes, type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` };
}

/** The servable assets: `.js`, `.css` and `.svg` files of the directory (not `index.html`, `package.json` or type declarations). */
export function loadAssets(dir: string = CONNECT_UI_DIR): Map<string, StaticFile> {
  const assets = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (!type || name.endsWith('.d.ts') || !/^[a-z0-9][a-z0-9.-]*$/.test(name)) continue;
    assets.set(name, staticFile(readFileSync(path.join(dir, name)), type));
  }
  return assets;
}

/** Origin of a URL, or null when it does not parse. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * The page's policy: its own scripts and styles only, no inline code; fetches and images only from
 * this origin and the API's public origin (`SERVER_URL`, which may differ behind a proxy, and its
 * WebSocket); any site may frame it, unless `frameAncestors` names the origins that may.
 */
export function connectUiCsp(serverUrl: string, frameAncestors?: readonly string[]): string {
  const server = originOf(serverUrl);
  const api = server ? `'self' ${server}` : "'self'";
  // The WebSocket of API.md §4 (`'self'` covers it on this origin in CSP level 3 browsers).
  const socket = server ? ` ${server.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // https: the environment's logo may live on the product's own CDN.
    `img-src ${api} data: https:`,
    `connect-src ${api}${socket}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors && frameAncestors.length > 0 ? frameAncestors.join(' ') : '*'}`,
  ].join('; ');
}

/** The Connect UI routes. */
export function connectUiRouter(deps: ApiDeps, dir: string = CONNECT_UI_DIR): Router<ApiState> {
  const router = new Router<ApiState>();
  const template = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const assets = loadAssets(dir);
  const csp = connectUiCsp(deps.config.serverUrl, deps.config.connectUiFrameAncestors);
  // Asset URLs are relative so the page also works behind a proxy that mounts it under another path;
  // `/connect` (no trailing slash, as in `openConnectUI`'s URL) resolves `connect/assets/…`, `/connect/` resolves `assets/…`.
  const pages = {
    bare: staticFile(template.replaceAll('%BASE%', 'connect/'), 'text/html; charset=utf-8'),
    slash: staticFile(template.replaceAll('%BASE%', ''), 'text/html; charset=utf-8'),
  };

  const send = (ctx: Context, file: StaticFile, cacheControl: string) => {
    ctx.set('Cache-Control', cacheControl);
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    // The standalone URL carries the session token: never leak it in a Referer.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('ETag', file.etag);
    ctx.type = file.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = file.body;
  };

  // One route for both: the router treats a trailing slash as optional.
  router.get(['/connect', '/connect/'], doc({
    summary: 'The Connect UI page (standalone: `?session_token=…&apiURL=…`, or in `@nangohq/frontend`\'s iframe)',
    tag: 'connect-ui',
    responses: { 200: { description: 'The page', contentType: 'text/html' }, 304: { description: 'Not modified (ETag)' } },
  }), (ctx) => send(ctx, ctx.path.endsWith('/') ? pages.slash : pages.bare, PAGE_CACHE));
  router.get('/connect/assets/:file', doc({
    summary: 'A file of the Connect UI (scripts, styles)',
    tag: 'connect-ui',
    params: assetParams,
    responses: { 200: { description: 'The file', contentType: 'application/octet-stream' }, 304: { description: 'Not modified (ETag)' } },
    errors: ['not_found'],
  }), (ctx) => {
    const { file: name } = validate(assetParams, ctx.params, 'invalid_uri_params');
    const file = assets.get(name);
    if (!file) throw new NotFoundError(`No Connect UI asset "${name}"`);
    send(ctx, file, ASSET_CACHE);
  });

  return router;
}
