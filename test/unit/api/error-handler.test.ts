import { expect } from 'chai';
import Koa from 'koa';
import { Writable } from 'node:stream';
import { errorHandler } from '../../../src/api/middleware/error-handler';
import { listen } from '../../../src/api/server';
import { createLogger } from '../../../src/logger';

describe('error handler', () => {
  it('answers an unexpected error with a generic 500 server_error and an error id, and logs the error under that id', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(String(chunk)); done(); } });
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler(createLogger('error', sink)));
    app.use(() => {
      throw new Error('db password is hunter2');
    });
    const server = await listen(app, { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/anything`);
      const body = await res.json() as { error: { code: string; message: string; payload: { error_id: string } } };
      expect(res.status).to.equal(500);
      expect(body.error.code).to.equal('server_error');
      expect(body.error.message).to.equal('An unexpected error occurred');
      expect(JSON.stringify(body)).to.not.contain('hunter2');
      expect(body.error.payload.error_id).to.match(/^[0-9a-f-]{36}$/);
      expect(lines.join('')).to.contain(body.error.payload.error_id);
    } finally {
      await server.close();
    }
  });

  it('redacts secrets that reach the logger', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(String(chunk)); done(); } });
    createLogger('info', sink).info({ headers: { authorization: 'Bearer abc' }, credentials: { access_token: 'tok' }, client_secret: 'cs' }, 'x');
    expect(lines.join('')).to.not.contain('abc').and.not.contain('tok').and.not.contain('"cs"');
    expect(lines.join('')).to.contain('[redacted]');
  });
});
