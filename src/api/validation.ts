/** Zod validation at the edge: failures become 400 with one `errors[]` entry per problem. */
import type { z } from 'zod';
import { isErrorCode, type CodeWithStatus } from '../error-catalogue';
import { ValidationError, type ErrorDetail } from '../errors';
import { unsafeInputProblems } from './unsafe-input';

export type ValidationCode = 'invalid_body' | 'invalid_query_params' | 'invalid_uri_params';

const MESSAGES: Record<ValidationCode, string> = {
  invalid_body: 'Invalid request body',
  invalid_query_params: 'Invalid query parameters',
  invalid_uri_params: 'Invalid URI parameters',
};

/**
 * A schema issue that deserves its own top-level code (a limit the API documents by name, e.g.
 * `metadata_too_large`) carries it as `params.errorCode`; see {@link limitIssue}.
 */
interface LimitIssueParams {
  errorCode: CodeWithStatus<400>;
}

/** The `addIssue` argument of a documented limit: the request answers 400 `errorCode` instead of the generic validation code. */
export function limitIssue(errorCode: CodeWithStatus<400>, message: string, path: (string | number)[] = []): z.core.$ZodSuperRefineIssue {
  return { code: 'custom', message, path, params: { errorCode } satisfies LimitIssueParams };
}

function limitCodeOf(issue: z.core.$ZodIssue): CodeWithStatus<400> | undefined {
  const params = (issue as { params?: Partial<LimitIssueParams> }).params;
  return typeof params?.errorCode === 'string' && isErrorCode(params.errorCode) ? params.errorCode : undefined;
}

/**
 * Parses `value` with `schema` or throws a ValidationError listing every issue with its path. Strings
 * no field may hold (NUL, lone surrogates), reserved keys and over-deep nesting are refused first,
 * whatever the schema says, so no route can forget them.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, code: ValidationCode): z.output<S> {
  const unsafe = unsafeInputProblems(value);
  if (unsafe.length > 0) throw new ValidationError(code, MESSAGES[code], { errors: unsafe });
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: ErrorDetail[] = result.error.issues.map((issue) => ({
    // A documented limit is a size problem, whatever zod calls its custom issues.
    code: limitCodeOf(issue) === undefined ? issue.code : 'too_big',
    message: issue.message,
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
  }));
  const limited = result.error.issues.find((issue) => limitCodeOf(issue) !== undefined);
  if (limited) throw new ValidationError(limitCodeOf(limited)!, limited.message, { errors });
  throw new ValidationError(code, MESSAGES[code], { errors });
}

/** A 400 for one field, in the same shape as a schema failure. */
export function invalidField(code: ValidationCode, path: (string | number)[], message: string): ValidationError {
  return new ValidationError(code, message, { errors: [{ code: 'invalid', message, path }] });
}
