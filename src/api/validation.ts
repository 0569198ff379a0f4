/** Zod validation at the edge: failures become 400 with one `errors[]` entry per problem. */
import type { z } from 'zod';
import { ValidationError, type ErrorDetail } from '../errors';

export type ValidationCode = 'invalid_body' | 'invalid_query_params' | 'invalid_uri_params';

const MESSAGES: Record<ValidationCode, string> = {
  invalid_body: 'Invalid request body',
  invalid_query_params: 'Invalid query parameters',
  invalid_uri_params: 'Invalid URI parameters',
};

/** Parses `value` with `schema` or throws a ValidationError listing every issue with its path. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, code: ValidationCode): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: ErrorDetail[] = result.error.issues.map((issue) => ({
    code: issue.code,
    message: issue.message,
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
  }));
  throw new ValidationError(code, MESSAGES[code], { errors });
}

/** A 400 for one field, in the same shape as a schema failure. */
export function invalidField(code: ValidationCode, path: (string | number)[], message: string): ValidationError {
  return new ValidationError(code, message, { errors: [{ code: 'invalid', message, path }] });
}
