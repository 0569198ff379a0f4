/**
 * One error family with stable codes. Code branches on `code` or `instanceof`, never on a message.
 * HTTP mapping happens in one place: src/api/middleware/error-handler.ts.
 */

export interface ErrorDetail {
  code: string;
  message: string;
  path: (string | number)[];
}

export interface CustodianErrorOptions {
  /** HTTP status the API answers with (ignored outside the API). */
  status?: number;
  /** Field-level problems, rendered as `errors[]`. */
  errors?: ErrorDetail[];
  /** Extra non-secret data rendered as `payload`. */
  payload?: Record<string, unknown>;
  cause?: unknown;
}

/** Base of every error Custodian raises on purpose. */
export class CustodianError extends Error {
  readonly code: string;
  readonly status: number;
  readonly errors?: ErrorDetail[];
  readonly payload?: Record<string, unknown>;

  constructor(code: string, message: string, options: CustodianErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.errors = options.errors;
    this.payload = options.payload;
  }

  /** Whether the message may be shown to an API client (5xx messages stay generic). */
  get expose(): boolean {
    return this.status < 500;
  }
}

/** 400 — the request is well-formed HTTP but its content is wrong. */
export class ValidationError extends CustodianError {
  constructor(code: string, message: string, options: Omit<CustodianErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: 400 });
  }
}

/** 401 — missing or wrong credentials for the API itself. */
export class AuthenticationError extends CustodianError {
  constructor(code: string, message: string) {
    super(code, message, { status: 401 });
  }
}

/** 404 — the thing named does not exist (in this environment). */
export class NotFoundError extends CustodianError {
  constructor(message: string, code = 'not_found') {
    super(code, message, { status: 404 });
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

/** Encrypted value cannot be read: tampered, truncated, or written with an unknown key. */
export class DecryptionError extends CustodianError {
  constructor(code: 'unknown_key_id' | 'malformed_ciphertext' | 'decryption_failed', message: string) {
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
