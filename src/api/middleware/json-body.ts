/**
 * Reads a JSON request body: 1 MB cap (413), JSON content type (415), valid JSON (400 invalid_json),
 * and nothing in it that no route accepts (NUL, lone surrogates, reserved keys, deep nesting: 400 invalid_body).
 */
import type { Context, Middleware } from 'koa';
import getRawBody from 'raw-body';
import { CustodianError, ValidationError } from '../../errors';
import { unsafeInputProblems } from '../unsafe-input';
import { routeTrait } from '../openapi/route-doc';

/** Largest accepted request body (API.md §0). */
export const MAX_BODY_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const bodyRead = new WeakSet<Context>();

/** Reads and checks the JSON body into `ctx.request.body` (undefined when the request has none); once per request. */
export async function readJsonBody(ctx: Context): Promise<void> {
  if (bodyRead.has(ctx)) return;
  bodyRead.add(ctx);
  if (METHODS_WITH_BODY.has(ctx.method) && hasBody(ctx.req.headers)) {
    if (!isJsonType(ctx.get('content-type'))) {
      throw new CustodianError('invalid_content_type', 'Content-Type must be application/json');
    }
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, encoding: 'utf8', length: ctx.get('content-length') || undefined });
    } catch (error) {
      if ((error as { status?: number }).status === 413) {
        throw new CustodianError('payload_too_large', 'Request body is larger than 1 MB');
      }
      throw new ValidationError('invalid_body', 'Request body could not be read', { cause: error });
    }
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ValidationError('invalid_json', 'Request body is not valid JSON');
      }
      // Checked here, once for every route, including those that read the body without a schema.
      const problems = unsafeInputProblems(body);
      if (problems.length > 0) throw new ValidationError('invalid_body', 'Invalid request body', { errors: problems });
      ctx.request.body = body;
    }
  }
}

/**
 * Sets `ctx.request.body` to the parsed JSON. Authenticated routes do not use it: their
 * authentication middleware reads the body only once the caller is known (an anonymous body is never parsed).
 */
export function jsonBody(): Middleware {
  return routeTrait<Middleware>(async (ctx, next) => {
    await readJsonBody(ctx);
    await next();
  }, { kind: 'json_body' });
}

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (set by {@link jsonBody}); unknown until validated. */
    body?: unknown;
  }
}

/** The parsed body, or `{}` when the request sent none (a PATCH with nothing to change); a JSON `null` stays null, for the schema to refuse. */
export function bodyOrEmpty(request: { body?: unknown }): unknown {
  return request.body === undefined ? {} : request.body;
}
