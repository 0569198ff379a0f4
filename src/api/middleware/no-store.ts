/** `Cache-Control: no-store` on every API answer unless a route chose otherwise (public catalog, Connect UI assets). */
import type { Middleware } from 'koa';

/**
 * Answers carry credentials (connections, `?include=credentials`, session tokens, rotated keys): no
 * browser or proxy may keep them. Routes that serve public data set their own header after this one.
 */
export function noStore(): Middleware {
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}
