import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendVerification } from '../../../../providers/auth-modes/send-verification';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';

const API_KEY = 'sk-verify-5e6f7a8b';

describe('sendVerification: what a verification answer means for the credentials', () => {
  let server: Server;
  let status = 200;
  let url = '';

  before(async () => {
    // Echoes the key in every body, as a careless provider might.
    server = createServer((req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ seen: req.headers.authorization })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const verify = () => sendVerification({ method: 'GET', url, headers: { authorization: `Bearer ${API_KEY}` } }, { provider: 'Acme', timeoutMs: 5_000, secrets: [API_KEY] });

  async function failureOf(): Promise<ProviderCallError> {
    const error = await verify().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ProviderCallError);
    expect((error as Error).message).to.not.include(API_KEY);
    return error as ProviderCallError;
  }

  it('resolves on a 2xx', async () => {
    status = 204;
    await verify();
  });

  for (const refused of [401, 403]) {
    it(`a ${refused} is a permanent credentials_rejected`, async () => {
      status = refused;
      const error = await failureOf();
      expect({ code: error.code, kind: error.kind, httpStatus: error.httpStatus }).to.deep.equal({ code: 'credentials_rejected', kind: 'permanent', httpStatus: refused });
      expect(error.message).to.equal(`The verification endpoint of Acme (${url}) answered ${refused} (the credentials were refused)`);
    });
  }

  for (const other of [404, 302, 503]) {
    it(`a ${other} says nothing about the credentials: transient`, async () => {
      status = other;
      const error = await failureOf();
      expect({ code: error.code, kind: error.kind }).to.deep.equal({ code: 'provider_server_error', kind: 'transient' });
    });
  }
});
