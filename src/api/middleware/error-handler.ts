/** The one place errors become HTTP: `{"error":{code,message,errors?,payload?}}`, 5xx kept generic. */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { CustodianError } from '../../errors';
import type { Logger } from '../../logger';

interface ErrorBody {
  error: { code: string; message: string; errors?: unknown[]; payload?: Record<string, unknown> };
}

/** Koa's own errors (http-errors) carry a status; map the few we meet to stable codes. */
function fromHttpError(error: { status: number; message: string; type?: string }): CustodianError {
  if (error.status === 413) return new CustodianError('payload_too_large', 'Request body is larger than 1 MB', { status: 413 });
  if (error.status === 404) return new CustodianError('not_found', error.message, { status: 404 });
  return new CustodianError('bad_request', error.message, { status: error.status });
}

function isHttpError(error: unknown): error is { status: number; message: string; expose?: boolean } {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number'
    && (error as { status: number }).status >= 400 && (error as { status: number }).status < 500;
}

/** Mounted first: renders every thrown error in the envelope and logs server errors with an id. */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new CustodianError('not_found', `No route for ${ctx.method} ${ctx.path}`, { status: 404 });
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        throw new CustodianError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`, { status: 405 });
      }
    } catch (thrown) {
      const error = thrown instanceof CustodianError ? thrown : isHttpError(thrown) ? fromHttpError(thrown) : undefined;
      let body: ErrorBody;
      if (error && error.expose) {
        body = { error: { code: error.code, message: error.message } };
        if (error.errors) body.error.errors = error.errors;
        if (error.payload) body.error.payload = error.payload;
        ctx.status = error.status;
      } else {
        const errorId = randomUUID();
        logger.error({ err: thrown, errorId, method: ctx.method, path: ctx.path }, 'request failed');
        body = { error: { code: 'server_error', message: 'An unexpected error occurred', payload: { error_id: errorId } } };
        ctx.status = error?.status ?? 500;
      }
      ctx.body = body;
    }
  };
}
