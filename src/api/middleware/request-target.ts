/**
 * Checks the request target before any route sees it: the path and query must be valid
 * percent-encoding (Koa and the router silently keep an undecodable `%` as it is, so `/x/%` and
 * `/x/%25` would name the same thing), and no query name or value may carry what no field accepts
 * (NUL, a reserved key, also as `tags[__proto__]`). Path parameters are checked by name where routes
 * validate them (src/api/validation.ts).
 */
import type { Middleware } from 'koa';
import { ValidationError, type ErrorDetail } from '../../errors';
import { isSafeString, keyProblem } from '../unsafe-input';

const BRACKETED = /^([^[\]]+)\[([^\]]*)\]$/;

function decodes(text: string): boolean {
  // Only a percent sign can start a malformed escape: most targets need no decoding to be checked.
  if (!text.includes('%')) return true;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Shortened for messages: a 10,000-character segment is not worth echoing. */
function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function pathProblems(path: string): ErrorDetail[] {
  if (decodes(path)) return [];
  const bad = path.split('/').find((segment) => !decodes(segment));
  return bad === undefined ? [] : [{ code: 'invalid_string', message: `"${excerpt(bad)}" is not valid percent-encoding`, path: [] }];
}

/** The parameter's path in `errors[]`: `tags[team]` is `["tags", "team"]`. */
function nameProblems(name: string): ErrorDetail[] {
  const bracketed = BRACKETED.exec(name);
  const path = bracketed ? [bracketed[1]!, bracketed[2]!] : [name];
  return path.flatMap((part, index) => keyProblem(part, path.slice(0, index + 1)) ?? []);
}

function queryProblems(querystring: string, query: Readonly<Record<string, string | string[] | undefined>>): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  for (const pair of decodes(querystring) ? [] : querystring.split('&')) {
    if (!decodes(pair.replace(/\+/g, ' '))) {
      const name = pair.split('=')[0] ?? '';
      problems.push({ code: 'invalid_string', message: `"${excerpt(pair)}" is not valid percent-encoding`, path: [decodes(name) ? decodeURIComponent(name) : name] });
    }
  }
  for (const [name, value] of Object.entries(query)) {
    problems.push(...nameProblems(name));
    const values = Array.isArray(value) ? value : [value ?? ''];
    values.forEach((text, index) => {
      if (!isSafeString(text)) problems.push({ code: 'invalid_string', message: 'the value contains a NUL character or a lone surrogate', path: Array.isArray(value) ? [name, index] : [name] });
    });
  }
  return problems.slice(0, 20);
}

/** 400 invalid_uri_params / invalid_query_params for a target no route can take. */
export function requestTarget(): Middleware {
  return async (ctx, next) => {
    const path = pathProblems(ctx.path);
    if (path.length > 0) throw new ValidationError('invalid_uri_params', 'Invalid URI parameters', { errors: path });
    const query = queryProblems(ctx.querystring, ctx.query);
    if (query.length > 0) throw new ValidationError('invalid_query_params', 'Invalid query parameters', { errors: query });
    await next();
  };
}
