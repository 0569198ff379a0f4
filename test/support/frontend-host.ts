/**
 * A backend's web page on its own origin that loads the real `@nangohq/frontend` package (its ES
 * modules straight from node_modules, as a bundler would ship them) for end-to-end tests.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const FRONTEND_DIST = path.dirname(require.resolve('@nangohq/frontend'));

export interface FrontendHost {
  /** The page: `<url>/` runs `script` as a module with `Nango` imported. */
  url: string;
  close(): Promise<void>;
}

export async function startFrontendHost(script: string): Promise<FrontendHost> {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Backend page</title></head><body>
<h1>Acme settings</h1><button id="connect">Connect</button><pre id="out"></pre>
<script type="module">
import Nango from '/frontend/index.js';
window.events = [];
const show = () => { document.getElementById('out').textContent = JSON.stringify(window.events, null, 2); };
window.record = (event) => { window.events.push(event); show(); };
${script}
</script></body></html>`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page);
      return;
    }
    const file = url.pathname.startsWith('/frontend/') ? path.join(FRONTEND_DIST, path.basename(url.pathname)) : null;
    if (file && file.endsWith('.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
