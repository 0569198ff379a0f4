import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONNECT_UI_DIR } from '../../src/api/routes/connect-ui';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

/** `src`/`href` of the page's script and stylesheet tags. */
function assetRefs(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((ref) => !ref.startsWith('data:'));
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
}

describe('Connect UI static files (DESIGN.md §7)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  for (const pagePath of ['/connect', '/connect/', '/connect/?apiURL=http%3A%2F%2F127.0.0.1&detectClosedAuthWindow=true']) {
    it(`GET ${pagePath} serves the page with a strict, frameable CSP and asset links that resolve`, async () => {
      const res = await fetch(`${api.url}${pagePath}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('no-cache');
      expect(res.headers.get('x-frame-options')).to.equal(null);
      expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
      const csp = directives(res.headers.get('content-security-policy') ?? '');
      expect(csp.get('frame-ancestors')).to.deep.equal(['*']);
      expect(csp.get('script-src')).to.deep.equal(["'self'"]);
      expect(csp.get('style-src')).to.deep.equal(["'self'"]);
      expect(csp.get('default-src')).to.deep.equal(["'none'"]);
      expect(csp.get('connect-src')).to.deep.equal(["'self'", api.url, api.url.replace('http:', 'ws:')]);
      const html = await res.text();
      expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      expect(html).to.not.match(/<style|\sstyle=/, 'no inline style');
      // The favicon is an empty data: URL, so the browser asks for no /favicon.ico.
      expect(html).to.contain('<link rel="icon" href="data:,">');
      const refs = assetRefs(html);
      expect(refs).to.have.length(2);
      // Resolved the way a browser resolves them, against the page's own URL.
      for (const ref of refs) {
        const url = new URL(ref, `${api.url}${pagePath}`);
        expect(url.origin).to.equal(api.url);
        expect(url.pathname).to.match(/^\/connect\/assets\/(app\.js|styles\.css)$/);
        expect((await fetch(url)).status).to.equal(200);
      }
    });
  }

  it('serves each asset with its content type, a revalidating cache policy and an ETag (304 when unchanged)', async () => {
    const expected: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'form-fields.js': 'text/javascript; charset=utf-8',
      'error-messages.js': 'text/javascript; charset=utf-8',
      'styles.css': 'text/css; charset=utf-8',
    };
    for (const [file, type] of Object.entries(expected)) {
      const res = await fetch(`${api.url}/connect/assets/${file}`);
      expect(res.status, file).to.equal(200);
      expect(res.headers.get('content-type'), file).to.equal(type);
      expect(res.headers.get('cache-control'), file).to.equal('public, max-age=300, must-revalidate');
      expect(res.headers.get('x-content-type-options'), file).to.equal('nosniff');
      expect(await res.text(), file).to.equal(readFileSync(path.join(CONNECT_UI_DIR, file), 'utf8'));
      const etag = res.headers.get('etag');
      expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);
      // As a browser revalidates (fetch() would add `Cache-Control: no-cache`, which forbids a 304).
      const again = await fetch(`${api.url}/connect/assets/${file}`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
      expect(again.status, file).to.equal(304);
    }
  });

  it('answers 404 not_found JSON for unknown assets, non-asset files and traversal attempts', async () => {
    for (const file of ['nope.js', 'index.html', 'package.json', 'form-fields.d.ts', 'error-messages.d.ts', '..%2F..%2Fapi%2Fapp.ts', '%2E%2E%2Fpackage.json']) {
      const res = await http(api.url, 'GET', `/connect/assets/${file}`);
      expect(res.status, file).to.equal(404);
      expect(res.headers.get('content-type'), file).to.contain('application/json');
      expect(res.body.error.code, file).to.equal('not_found');
    }
  });

  it('ships no reference to another host: no third-party scripts, styles, fonts, images or tracking', () => {
    const files = readdirSync(CONNECT_UI_DIR).filter((f) => /\.(js|css|html)$/.test(f));
    expect(files).to.include.members(['index.html', 'app.js', 'form-fields.js', 'error-messages.js', 'styles.css']);
    for (const file of files) {
      const text = readFileSync(path.join(CONNECT_UI_DIR, file), 'utf8');
      expect(text, file).to.not.match(/(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+/i);
      if (file.endsWith('.css')) expect(text, file).to.not.match(/@import|@font-face|url\(/i);
      expect(text.toLowerCase(), file).to.not.contain('nango.dev');
      expect(text.toLowerCase(), file).to.not.contain('watermark');
    }
  });

  it("serves the page at a session's connect_link, and the session token opens what the page reads", async () => {
    await http(api.url, 'POST', '/integrations', { token: api.secretKey, body: { provider: 'zendesk', unique_key: 'zendesk', credentials: { type: 'OAUTH2', client_id: 'id', client_secret: 'secret' } } });
    const created = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, body: { end_user: { id: 'u-1' } } });
    expect(created.status).to.equal(201);
    const { token, connect_link: link } = created.body.data as { token: string; connect_link: string };
    const page = await fetch(link);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.contain('text/html');
    for (const [pathname, check] of [
      ['/connect/session', (b: { data: Record<string, unknown> }) => expect(b.data).to.include.keys('connectUISettings', 'websocketsPath')],
      ['/integrations', (b: { data: { unique_key: string; auth_mode: string }[] }) => expect(b.data.map((i) => [i.unique_key, i.auth_mode])).to.deep.equal([['zendesk', 'OAUTH2']])],
      ['/providers/zendesk', (b: { data: { connection_config: Record<string, unknown> } }) => expect(b.data.connection_config).to.have.key('subdomain')],
    ] as const) {
      const res = await http(api.url, 'GET', pathname, { token, headers: { origin: 'https://app.example' } });
      expect(res.status, pathname).to.equal(200);
      expect(res.headers.get('access-control-allow-origin'), pathname).to.equal('*');
      (check as (body: unknown) => void)(res.body);
    }
  });

  it('security: CONNECT_UI_FRAME_ANCESTORS restricts who may frame the page to the backend\'s origins (default: any)', async () => {
    const restricted = await startTestApi({ env: { CONNECT_UI_FRAME_ANCESTORS: 'https://app.example.com, http://localhost:5173/' } });
    try {
      for (const pagePath of ['/connect', '/connect/', '/connect/assets/app.js']) {
        const res = await fetch(`${restricted.url}${pagePath}`);
        expect(res.status).to.equal(200);
        const csp = directives(res.headers.get('content-security-policy') ?? '');
        expect(csp.get('frame-ancestors'), pagePath).to.deep.equal(['https://app.example.com', 'http://localhost:5173']);
      }
    } finally {
      await restricted.close();
    }
    const open = directives((await fetch(`${api.url}/connect`)).headers.get('content-security-policy') ?? '');
    expect(open.get('frame-ancestors')).to.deep.equal(['*']);
  });
});
