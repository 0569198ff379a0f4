/**
 * One error family with stable codes. Code branches on `code` or `instanceof`, never on a message.
 * Codes, statuses and default messages live in one catalogue (src/error-catalogue.ts); HTTP
 * rendering happens in one place: src/api/middleware/error-handler.ts.
 */
import { catalogueEntry, statusOf, type CodeWithStatus, type ErrorCode, type ErrorVariant, type NotFoundCode } from './error-catalogue';

export type { ErrorCode } from './error-catalogue';

export interface ErrorDetail {
  code: string;
  message: string;
  path: (string | number)[];
}

export interface CustodianErrorOptions<C extends ErrorCode = ErrorCode> {
  /** A named situation in which the catalogue gives this code another status. */
  variant?: ErrorVariant<C>;
  /** Field-level problems, rendered as `errors[]`. */
  errors?: ErrorDetail[];
  /** Extra non-secret data rendered as `payload`. */
  payload?: Record<string, unknown>;
  cause?: unknown;
}

/** Base of every error Custodian raises on purpose; its status comes from the catalogue. */
export class CustodianError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly errors?: ErrorDetail[];
  readonly payload?: Record<string, unknown>;

  /** `message` defaults to the catalogue's message for `code`. */
  constructor(code: C, message?: string, options: CustodianErrorOptions<C> = {}) {
    super(message ?? catalogueEntry(code).message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = statusOf(code, options.variant);
    this.errors = options.errors;
    this.payload = options.payload;
  }

  /** Whether the message may be shown to an API client (5xx messages stay generic unless the catalogue says otherwise). */
  get expose(): boolean {
    return this.status < 500 || catalogueEntry(this.code).showsMessage === true;
  }
}

/** 400 — the request is well-formed HTTP but its content is wrong. */
export class ValidationError extends CustodianError<CodeWithStatus<400>> {
  constructor(code: CodeWithStatus<400>, message?: string, options: CustodianErrorOptions<CodeWithStatus<400>> = {}) {
    super(code, message, options);
  }
}

/** 401 — missing or wrong credentials for the API itself. */
export class AuthenticationError extends CustodianError<CodeWithStatus<401>> {
  constructor(code: CodeWithStatus<401>, message?: string) {
    super(code, message);
  }
}

/** 404 — the thing named does not exist (in this environment). */
export class NotFoundError extends CustodianError<NotFoundCode> {
  constructor(message?: string, code: NotFoundCode = 'not_found') {
    // A code that is not 404 by default answers 404 through its `not_found` variant.
    super(code, message, statusOf(code) === 404 ? {} : { variant: 'not_found' as ErrorVariant<NotFoundCode> });
  }
}

/** Configuration is invalid; `problems` holds one line per bad setting. */
export class ConfigError extends CustodianError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('invalid_config', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Encrypted value cannot be read: tampered, truncated, moved from another place, written with an unknown key, or legacy and refused. */
export class DecryptionError extends CustodianError {
  constructor(code: 'unknown_key_id' | 'malformed_ciphertext' | 'decryption_failed' | 'legacy_ciphertext', message: string) {
    super(code, message);
  }
}

/** A provider catalog entry is invalid; names the file and the field. */
export class CatalogError extends CustodianError {
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, message: string) {
    super('invalid_provider_catalog', `${file}: ${field}: ${message}`);
    this.file = file;
    this.field = field;
  }
}

/** A template placeholder could not be resolved or its value was refused. */
export class ConnectionConfigError extends ValidationError {
  constructor(code: 'missing_connection_config' | 'invalid_connection_config', message: string, path: (string | number)[] = []) {
    super(code, message, { errors: [{ code, message, path }] });
  }
}

/** A limit was reached (429 `rate_limited`); the answer carries `Retry-After: retryAfterSeconds`. */
export class RateLimitedError extends CustodianError<'rate_limited'> {
  constructor(
    readonly retryAfterSeconds: number,
    message?: string,
  ) {
    super('rate_limited', message);
  }
}
