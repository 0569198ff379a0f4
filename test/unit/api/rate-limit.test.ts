import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { parseConfig } from '../../../src/config';
import { clientAddress, FixedWindowLimiter } from '../../../src/api/rate-limit';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('per-IP rate limits', () => {
  it('a client past its limit waits until its window ends, and another address is not held back', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowLimiter({ limit: 2, windowMs: 60_000 }, () => now);
    expect(limiter.take('a')).to.equal(undefined);
    expect(limiter.take('a')).to.equal(undefined);
    now += 15_000;
    expect(limiter.take('a')).to.equal(45);
    expect(limiter.take('b')).to.equal(undefined);
    now += 45_000;
    expect(limiter.take('a')).to.equal(undefined);
  });

  it('a forged X-Forwarded-For does not change the key unless TRUST_PROXY, and then only its last entry counts', () => {
    expect(clientAddress(request('127.0.0.1', '203.0.113.9'), false)).to.equal('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', '203.0.113.9, 198.51.100.7'), true)).to.equal('198.51.100.7');
    expect(clientAddress(request('127.0.0.1'), true)).to.equal('127.0.0.1');
  });

  it('limits are configured as <count>/<duration>, and a malformed one stops the start', () => {
    const config = parseConfig({ RATE_LIMIT_TELEMETRY: '10/30s', WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example.com' });
    expect(config.rateLimits.telemetry).to.deep.equal({ limit: 10, windowMs: 30_000 });
    expect(config.rateLimits.oauthCallback).to.deep.equal({ limit: 60, windowMs: 60_000 });
    expect(config.websocket.allowedOrigins).to.deep.equal(['https://app.example.com']);
    expect(config.trustProxy).to.equal(false);
    expect(() => parseConfig({ RATE_LIMIT_WEBSOCKET: 'lots' })).to.throw(/RATE_LIMIT_WEBSOCKET/);
    expect(() => parseConfig({ RATE_LIMIT_WEBSOCKET: '0/1m' })).to.throw(/RATE_LIMIT_WEBSOCKET/);
  });
});
