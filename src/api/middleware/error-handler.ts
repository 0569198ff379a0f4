/**
 * The one place errors become HTTP: `{"error":{code,message,errors?,payload?}}` with the status the
 * catalogue gives the code. 4xx show the thrown message; 502/503/504 show the catalogue's message
 * (503 with `Retry-After`); anything else is a 500 `server_error` with an error id in the log.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { catalogueEntry } from '../../error-catalogue';
import { CustodianError, RateLimitedError } from '../../errors';
import type { Logger } from '../../logger';
import { translateError } from './translate-error';

interface ErrorBody {
  error: { code: string; message: string; errors?: unknown[]; payload?: Record<string, unknown> };
}

/** Mounted first: renders every thrown error in the envelope and logs server errors with an id. */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new CustodianError('not_found', `No route for ${ctx.method} ${ctx.path}`);
      if (ctx.status === 405 && ctx.body === undefined) throw new CustodianError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
    } catch (thrown) {
      const error = translateError(thrown);
      if (error && error.expose) renderClientError(ctx, error);
      else if (error && error.status !== 500) renderDependencyError(ctx, error, logger);
      else renderServerError(ctx, thrown, logger);
    }
  };
}

function renderClientError(ctx: Context, error: CustodianError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.errors) body.error.errors = error.errors;
  if (error.payload) body.error.payload = error.payload;
  ctx.status = error.status;
  if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
  ctx.body = body;
}

/** A dependency down or silent: the code says which, the message is the catalogue's, never the cause's. */
function renderDependencyError(ctx: Context, error: CustodianError, logger: Logger): void {
  const entry = catalogueEntry(error.code);
  // Only the cause's message: a TypeORM QueryFailedError also carries the query's parameters (hashes, ciphertexts).
  const reason = error.cause instanceof Error ? error.cause.message : error.message;
  logger.warn({ code: error.code, reason, method: ctx.method, path: ctx.path }, 'dependency unavailable');
  const body: ErrorBody = { error: { code: error.code, message: entry.message } };
  if (error.payload) body.error.payload = error.payload;
  ctx.status = error.status;
  if (entry.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(entry.retryAfterSeconds));
  ctx.body = body;
}

function renderServerError(ctx: Context, thrown: unknown, logger: Logger): void {
  const errorId = randomUUID();
  logger.error({ err: thrown, errorId, method: ctx.method, path: ctx.path }, 'request failed');
  ctx.status = catalogueEntry('server_error').status;
  ctx.body = { error: { code: 'server_error', message: catalogueEntry('server_error').message, payload: { error_id: errorId } } } satisfies ErrorBody;
}
