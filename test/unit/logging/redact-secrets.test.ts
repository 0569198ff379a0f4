import { expect } from 'chai';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { createLogger } from '../../../src/logger';

/** A logger writing into an array of parsed JSON lines. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(String(chunk)); done(); } });
  return { logger: createLogger('info', sink), text: () => lines.join('') };
}

describe('log redaction (src/logger.ts)', () => {
  it('redacts a credential-shaped key nested at depth 3 and deeper (pino redact paths only reached depth 2)', () => {
    const { logger, text } = capturingLogger();
    logger.info({
      context: { response: { body: { access_token: 'at-deep-3', nested: { items: [{ client_secret: 'cs-deep-6', refresh_token: 'rt-deep-6' }] } } } },
      a: { b: { c: { headers: { Authorization: 'Bearer bearer-deep-5', cookie: 'sid=cookie-deep-5' } } } },
      upstream: { request: { oauth_token_secret: 'ots-deep-3', apiKey: 'ak-deep-3', password: 'pw-deep-3', code_verifier: 'cv-deep-3' } },
    }, 'provider answered');
    const output = text();
    for (const secret of ['at-deep-3', 'cs-deep-6', 'rt-deep-6', 'bearer-deep-5', 'cookie-deep-5', 'ots-deep-3', 'ak-deep-3', 'pw-deep-3', 'cv-deep-3']) {
      expect(output, secret).to.not.contain(secret);
    }
    const line = JSON.parse(output) as { context: { response: { body: { access_token: string } } }; msg: string };
    expect(line.context.response.body.access_token).to.equal('[redacted]');
    expect(line.msg).to.equal('provider answered');
  });

  it("a QueryFailedError's SQL parameters (and query) never reach the log, logged as err or nested in a context object", () => {
    const { logger, text } = capturingLogger();
    const driverError = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const error = new QueryFailedError('UPDATE connection SET credentials_encrypted = $1 WHERE id = $2', ['k1:iv:ciphertext-param:tag', 'row-param'], driverError);
    logger.error({ err: error }, 'request failed');
    logger.error({ context: { during: { write: { error } } } }, 'write failed');
    const output = text();
    expect(output).to.not.contain('ciphertext-param').and.not.contain('row-param').and.not.contain('SET credentials_encrypted');
    // The error itself is still logged: its type, message and driver code.
    const first = JSON.parse(output.split('\n')[0]!) as { err: { type: string; message: string; driverError: { code: string } } };
    expect(first.err.type).to.equal('QueryFailedError');
    expect(first.err.message).to.equal('duplicate key value violates unique constraint');
    expect(first.err.driverError.code).to.equal('23505');
  });
});
