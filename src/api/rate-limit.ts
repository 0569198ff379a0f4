/**
 * In-process fixed-window rate limits, keyed by client address: each key may make `limit` requests
 * per `windowMs`; past that, 429 `rate_limited` with `Retry-After` until the window ends. Per
 * process: N API instances allow N times the limit (a bound on abuse, not an exact quota).
 */
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { RateLimitedError } from '../errors';
import { routeTrait } from './openapi/route-doc';

/** A limit: `limit` requests per `windowMs`. */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Keys kept before expired windows are swept (bounds memory under a flood from many addresses). */
const SWEEP_AT = 10_000;

/** Counts requests per key in fixed windows. */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly rate: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; returns the seconds to wait when over the limit, else undefined. */
  take(key: string): number | undefined {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.rate.windowMs) {
      if (this.windows.size >= SWEEP_AT) this.sweep(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.rate.limit) return undefined;
    return Math.max(1, Math.ceil((window.start + this.rate.windowMs - now) / 1000));
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.rate.windowMs) this.windows.delete(key);
  }
}

/**
 * The client's address: the socket's remote address, or, when `trustProxy` is set, the last
 * `X-Forwarded-For` entry (the one the nearest proxy added; earlier ones are the client's to forge).
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for'];
    const last = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter(Boolean).pop();
    if (last) return last;
  }
  return request.socket.remoteAddress ?? 'unknown';
}

/** A Koa middleware limiting each client address to `rate`. */
export function rateLimitByAddress(rate: RateLimit, trustProxy: boolean): Middleware {
  const limiter = new FixedWindowLimiter(rate);
  return routeTrait<Middleware>(async (ctx, next) => {
    const wait = limiter.take(clientAddress(ctx.req, trustProxy));
    if (wait !== undefined) throw new RateLimitedError(wait);
    await next();
  }, { kind: 'rate_limit' });
}
