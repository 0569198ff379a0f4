import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRetryAfter, sendWebhook, type WebhookAttemptResult } from '../../../src/webhooks/send-webhook';
import { webhookHeaders } from '../../../src/webhooks/sign-webhook';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const body = '{"connectionId":"c-ü","from":"nango","success":true,"type":"auth"}';
const headers = webhookHeaders({ body, signingKey: 'sk-test', webhookId: 'msg_1', timestamp: new Date('2026-01-01T00:00:00Z') });

/** Answers by path: /status/<code>, /retry-after, /redirect, /hang (never answers). */
function startServer(received: Received[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks) });
      if (path === '/hang') return;
      if (path === '/retry-after') {
        res.writeHead(429, { 'Retry-After': '3' }).end('slow down');
        return;
      }
      if (path === '/redirect') {
        res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data' }).end();
        return;
      }
      const status = /^\/status\/(\d{3})$/.exec(path);
      res.writeHead(status ? Number(status[1]) : 200).end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function expectNoSecretsIn(result: WebhookAttemptResult): void {
  if (!('reason' in result)) return;
  expect(result.reason).not.to.contain(body);
  expect(result.reason).not.to.contain(headers['X-Nango-Hmac-Sha256']);
  expect(result.reason).not.to.contain(headers['X-Nango-Signature']);
  expect(result.reason).not.to.contain(headers['webhook-signature']);
}

describe('sendWebhook', () => {
  const received: Received[] = [];
  let server: Server;
  let base: string;

  before(async () => {
    server = await startServer(received);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received.length = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (path: string, extra: { timeoutMs?: number } = {}): Promise<WebhookAttemptResult> =>
    sendWebhook({ url: `${base}${path}`, body, headers, allowPrivateTargets: true, ...extra });

  it('delivers on 200 with exactly the body bytes and headers', async () => {
    const result = await send('/hook');
    expect(result).to.include({ outcome: 'delivered', status: 200 });
    expect(result.outcome === 'delivered' && result.durationMs).to.be.a('number');
    expect(received).to.have.length(1);
    const got = received[0] as Received;
    expect(got.method).to.equal('POST');
    expect(got.path).to.equal('/hook');
    expect(got.body.equals(Buffer.from(body, 'utf8'))).to.equal(true);
    for (const [name, value] of Object.entries(headers)) expect(got.headers[name.toLowerCase()]).to.equal(value);
    expect(got.headers['content-length']).to.equal(String(Buffer.byteLength(body)));
  });

  for (const status of [500, 503, 408]) {
    it(`treats ${status} as retryable`, async () => {
      const result = await send(`/status/${status}`);
      expect(result).to.include({ outcome: 'retryable', status });
      expect(result).not.to.have.property('retryAfterMs');
      expectNoSecretsIn(result);
    });
  }

  it('treats 429 as retryable and reads Retry-After', async () => {
    const result = await send('/retry-after');
    expect(result).to.include({ outcome: 'retryable', status: 429, retryAfterMs: 3000 });
  });

  for (const status of [400, 404, 410]) {
    it(`rejects ${status} without retry`, async () => {
      const result = await send(`/status/${status}`);
      expect(result).to.include({ outcome: 'rejected', status });
      expectNoSecretsIn(result);
    });
  }

  it('rejects a 302 and does not follow it', async () => {
    const result = await send('/redirect');
    expect(result).to.include({ outcome: 'rejected', status: 302 });
    expect(received).to.have.length(1);
  });

  it('gives up on a server that never answers: retryable timeout', async () => {
    const result = await send('/hang', { timeoutMs: 300 });
    expect(result.outcome).to.equal('retryable');
    if (result.outcome !== 'retryable') return;
    expect(result.reason).to.contain('timeout');
    expect(result.status).to.equal(undefined);
    expect(result.durationMs).to.be.within(250, 5000);
  });

  it('treats a closed port as a retryable network error', async () => {
    const closed = await startServer([]);
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await sendWebhook({ url: `http://127.0.0.1:${port}/hook`, body, headers, allowPrivateTargets: true });
    expect(result.outcome).to.equal('retryable');
    if (result.outcome !== 'retryable') return;
    expect(result.reason).to.equal('network error: ECONNREFUSED');
    expectNoSecretsIn(result);
  });

  it('blocks a loopback target when private targets are not allowed; the server sees nothing', async () => {
    const result = await sendWebhook({ url: `${base}/hook`, body, headers, allowPrivateTargets: false });
    expect(result).to.deep.equal({ outcome: 'blocked', reason: 'private target not allowed' });
    const local = await sendWebhook({ url: base.replace('127.0.0.1', 'localhost'), body, headers, allowPrivateTargets: false });
    expect(local.outcome).to.equal('blocked');
    const v6 = await sendWebhook({ url: 'http://[::ffff:127.0.0.1]:1/', body, headers, allowPrivateTargets: false });
    expect(v6.outcome).to.equal('blocked');
    const mappedPrivate = await sendWebhook({ url: 'http://[::ffff:10.1.2.3]/', body, headers, allowPrivateTargets: false });
    expect(mappedPrivate.outcome).to.equal('blocked');
    expect(received).to.have.length(0);
  });

  it('webhook targets at [::127.0.0.1] (IPv4-compatible) and [64:ff9b::7f00:1] (NAT64) are refused; the server sees nothing', async () => {
    for (const url of ['http://[::127.0.0.1]:1/hook', 'http://[64:ff9b::7f00:1]:1/hook', 'http://[2002:7f00:1::1]/', 'http://[fec0::1]/', 'http://198.18.0.1/', 'http://224.0.0.1/', 'http://240.0.0.1/']) {
      expect(await sendWebhook({ url, body, headers, allowPrivateTargets: false }), url).to.deep.equal({ outcome: 'blocked', reason: 'private target not allowed' });
    }
    expect(received).to.have.length(0);
  });

  it('DNS rebinding: a webhook host that resolves public for the check and 127.0.0.1 for the connection is blocked at connect time', async () => {
    const port = new URL(base).port;
    let calls = 0;
    const result = await sendWebhook({
      url: `http://rebind.example:${port}/hook`, body, headers, allowPrivateTargets: false,
      lookup: () => Promise.resolve(calls++ === 0 ? ['203.0.113.7'] : ['127.0.0.1']),
    });
    expect(result).to.deep.equal({ outcome: 'blocked', reason: 'private target not allowed' });
    expect(calls).to.equal(2);
    expect(received).to.have.length(0);
  });

  it('blocks a hostname when any of its addresses is private', async () => {
    const lookups: string[] = [];
    const fetchSpy: typeof fetch = () => Promise.reject(new Error('fetch must not be called'));
    const result = await sendWebhook({
      url: 'https://hooks.example.com/x', body, headers, allowPrivateTargets: false, fetch: fetchSpy,
      lookup: (hostname) => {
        lookups.push(hostname);
        return Promise.resolve(['93.184.216.34', '10.0.0.5']);
      },
    });
    expect(result.outcome).to.equal('blocked');
    expect(lookups).to.deep.equal(['hooks.example.com']);
  });

  it('calls a hostname whose addresses are all public', async () => {
    let calledWith = '';
    const fetchStub: typeof fetch = (input) => {
      calledWith = String(input);
      return Promise.resolve(new Response(null, { status: 204 }));
    };
    const result = await sendWebhook({
      url: 'https://hooks.example.com/x', body, headers, allowPrivateTargets: false, fetch: fetchStub,
      lookup: () => Promise.resolve(['93.184.216.34', '2606:2800:220:1::1']),
    });
    expect(result).to.include({ outcome: 'delivered', status: 204 });
    expect(calledWith).to.equal('https://hooks.example.com/x');
  });

  it('reports a failed DNS lookup as retryable', async () => {
    const result = await sendWebhook({
      url: 'https://nowhere.example.com/', body, headers, allowPrivateTargets: false,
      lookup: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example.com'), { code: 'ENOTFOUND' })),
    });
    expect(result).to.include({ outcome: 'retryable', reason: 'dns lookup failed: ENOTFOUND' });
  });

  it('blocks non-http(s) and unparseable URLs', async () => {
    expect(await sendWebhook({ url: 'ftp://example.com/hook', body, headers, allowPrivateTargets: true })).to.deep.equal({
      outcome: 'blocked', reason: 'unsupported protocol ftp:',
    });
    expect((await sendWebhook({ url: 'not a url', body, headers, allowPrivateTargets: true })).outcome).to.equal('blocked');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).to.equal(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).to.equal(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).to.equal(0);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
  });
});
