import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callProvider, retryAfterMsOf, type ProviderRequest } from '../../../../providers/calls/call-provider';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';

const NOW = new Date('2030-01-01T00:00:00Z');
const SECRET = 'client-secret-7d1e';
const TOKEN = 'refresh-token-3c9a';
// A secret that contains another one: the longer must be hidden whole, not left as `[redacted]-extra`.
const LONG_SECRET = `${TOKEN}-extended`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** One endpoint on 127.0.0.1 whose behaviour each test sets. */
class Endpoint {
  handler: Handler = (_req, res) => res.end('{}');
  private readonly server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => this.handler(req, res));
  });

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token?tenant=acme`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const endpoint = new Endpoint();

function request(overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  return { provider: 'Acme', endpoint: 'token endpoint', url: endpoint.url, method: 'POST', body: 'x=1', timeoutMs: 5_000, secrets: [SECRET, TOKEN, LONG_SECRET], now: NOW, ...overrides };
}

function answer(status: number, body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(ProviderCallError);
  return error as ProviderCallError;
}

/** The fields that say what kind of failure it is. */
function classOf(error: ProviderCallError) {
  return { code: error.code, kind: error.kind, httpStatus: error.httpStatus, retryAfterMs: error.retryAfterMs, answerLost: error.answerLost };
}

describe('callProvider: the one classifier of provider calls', () => {
  before(() => endpoint.start());
  after(() => endpoint.stop());

  const where = () => `The token endpoint of Acme (${endpoint.url.replace('?tenant=acme', '')})`;

  it('hands a 2xx or 4xx answer back to the caller, body and headers read, the query never shown', async () => {
    endpoint.handler = answer(400, '{"error":"invalid_grant"}', { 'x-request-id': 'r-1' });
    const got = await callProvider(request());
    expect({ status: got.status, ok: got.ok, body: got.body, requestId: got.headers.get('x-request-id') }).to.deep.equal({ status: 400, ok: false, body: '{"error":"invalid_grant"}', requestId: 'r-1' });
    const refused = got.refused('invalid_grant');
    expect(classOf(refused)).to.deep.equal({ code: 'invalid_grant', kind: 'permanent', httpStatus: 400, retryAfterMs: undefined, answerLost: false });
    expect(refused.message).to.equal(`${where()} answered 400`);
    expect(refused.message).to.not.include('tenant');
  });

  it('a refused connection is transient provider_unreachable, with nothing sent (answer not lost)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(callProvider(request({ url: `http://127.0.0.1:${port}/verify`, endpoint: 'verification endpoint' })));
    expect(classOf(error)).to.deep.equal({ code: 'provider_unreachable', kind: 'transient', httpStatus: undefined, retryAfterMs: undefined, answerLost: false });
    expect(error.message).to.equal(`The verification endpoint of Acme (http://127.0.0.1:${port}/verify) could not be reached: ECONNREFUSED`);
  });

  it('a connection closed after the request was sent is provider_unreachable with the answer lost', async () => {
    endpoint.handler = (req) => req.socket.destroy();
    const error = await failureOf(callProvider(request()));
    expect(classOf(error)).to.include({ code: 'provider_unreachable', kind: 'transient', answerLost: true });
  });

  it('no answer within timeoutMs is transient provider_timeout with the answer lost', async () => {
    endpoint.handler = () => undefined; // holds the request open until the server stops
    const error = await failureOf(callProvider(request({ timeoutMs: 200 })));
    expect(classOf(error)).to.deep.equal({ code: 'provider_timeout', kind: 'transient', httpStatus: undefined, retryAfterMs: undefined, answerLost: true });
    expect(error.message).to.equal(`${where()} did not answer within 0.2 s`);
    expect(error.status, 'an API answering with it says 504').to.equal(504);
  });

  it('a body that stops arriving is a timeout too (the limit covers reading it)', async () => {
    endpoint.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":');
    };
    const error = await failureOf(callProvider(request({ timeoutMs: 200 })));
    expect(classOf(error)).to.include({ code: 'provider_timeout', answerLost: true });
  });

  it('a 5xx is transient provider_server_error and keeps Retry-After in seconds', async () => {
    endpoint.handler = answer(503, 'down', { 'retry-after': '7' });
    const error = await failureOf(callProvider(request()));
    expect(classOf(error)).to.deep.equal({ code: 'provider_server_error', kind: 'transient', httpStatus: 503, retryAfterMs: 7_000, answerLost: false });
    expect(error.message).to.equal(`${where()} answered 503`);
    expect(error.status).to.equal(502);
  });

  it('a 429 is transient provider_rate_limited with a Retry-After HTTP-date relative to the caller\'s clock', async () => {
    endpoint.handler = answer(429, '{}', { 'retry-after': new Date(NOW.getTime() + 90_000).toUTCString() });
    const error = await failureOf(callProvider(request()));
    expect(classOf(error)).to.deep.equal({ code: 'provider_rate_limited', kind: 'transient', httpStatus: 429, retryAfterMs: 90_000, answerLost: false });
  });

  it('a 408 is transient provider_timeout, but the provider did not act on it (answer not lost)', async () => {
    endpoint.handler = answer(408, '');
    const error = await failureOf(callProvider(request()));
    expect(classOf(error)).to.deep.equal({ code: 'provider_timeout', kind: 'transient', httpStatus: 408, retryAfterMs: undefined, answerLost: false });
    expect(error.message).to.equal(`${where()} answered 408 (request timeout)`);
  });

  it('redacts every secret sent from every message, also when the provider echoes them in an error body', async () => {
    const echo = `secret ${SECRET}, token ${TOKEN}, long ${LONG_SECRET}`;
    const describeBody = (body: string) => `: ${body}`;
    endpoint.handler = answer(500, echo);
    const transient = await failureOf(callProvider(request({ describeBody })));
    endpoint.handler = answer(400, echo);
    const refused = (await callProvider(request({ describeBody }))).refused('invalid_grant');
    const unusable = (await callProvider(request({ describeBody }))).unusable('provider_malformed_response');
    for (const error of [transient, refused, unusable]) {
      expect(error.message).to.equal(`${where()} answered ${error.httpStatus}: secret [redacted], token [redacted], long [redacted]`);
    }
    expect(classOf(unusable)).to.include({ kind: 'transient', code: 'provider_malformed_response' });
  });

  it('redacts before cutting a long reason short, so no piece of a secret is left at the cut', async () => {
    endpoint.handler = answer(400, 'x');
    const reason = `: ${'y'.repeat(290)}${SECRET}`;
    const error = (await callProvider(request())).refused('provider_rejected', reason);
    expect(error.message).to.not.include(SECRET.slice(0, 8));
    expect(error.message.endsWith('…')).to.equal(true);
  });

  it('parses Retry-After as delay-seconds or an HTTP-date, past dates as 0, anything else as absent', () => {
    expect(retryAfterMsOf('120', NOW)).to.equal(120_000);
    expect(retryAfterMsOf(' 0 ', NOW)).to.equal(0);
    expect(retryAfterMsOf(new Date(NOW.getTime() + 5_000).toUTCString(), NOW)).to.equal(5_000);
    expect(retryAfterMsOf(new Date(NOW.getTime() - 5_000).toUTCString(), NOW)).to.equal(0);
    expect(retryAfterMsOf('soon', NOW)).to.equal(undefined);
    expect(retryAfterMsOf(null, NOW)).to.equal(undefined);
  });

  describe('hosts an end user chose (refusePrivateTargets)', () => {
    let hits = 0;
    beforeEach(() => {
      hits = 0;
      endpoint.handler = (_req, res) => {
        hits++;
        res.end('{}');
      };
    });

    async function refusal(overrides: Partial<ProviderRequest>): Promise<ProviderCallError> {
      const error = await callProvider(request({ refusePrivateTargets: true, ...overrides })).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(ProviderCallError);
      return error as ProviderCallError;
    }

    it('SSRF at send time: a provider URL on 127.0.0.1 from connection config is refused before connecting (private_network_target, permanent)', async () => {
      const error = await refusal({});
      expect(error).to.include({ code: 'private_network_target', kind: 'permanent' });
      expect(error.message).to.not.contain('tenant=acme');
      expect(hits).to.equal(0);
    });

    it('SSRF by DNS at send time: a provider host name that resolves to 127.0.0.1 is caught in the connect step, whatever it resolved to before', async () => {
      const port = new URL(endpoint.url).port;
      const resolved: string[] = [];
      const error = await refusal({ url: `http://tenant.example:${port}/token`, lookup: (host) => (resolved.push(host), Promise.resolve(['127.0.0.1'])) });
      expect(error).to.include({ code: 'private_network_target', kind: 'permanent' });
      expect(resolved).to.deep.equal(['tenant.example']);
      expect(hits).to.equal(0);
    });
  });
});
