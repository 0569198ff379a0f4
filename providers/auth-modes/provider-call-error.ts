/**
 * Failures of a call to a provider's token endpoint, translated once into one error with a stable
 * code and a retry class: `transient` (retry with backoff) or `permanent` (the provider refused;
 * retrying cannot help). Messages name the endpoint, the status and the provider's OAuth error code
 * and description, never a token, secret or authorization code.
 */
import { CustodianError, type ErrorCode } from '../../src/errors';

/** Whether retrying the same call later may succeed. */
export type ProviderCallErrorKind = 'transient' | 'permanent';

/** Stable codes {@link classifyTokenEndpointFailure} produces (other callers use other catalogued codes, e.g. `credentials_rejected`). */
export type ProviderCallErrorCode =
  | 'provider_unreachable'
  | 'provider_timeout'
  | 'provider_server_error'
  | 'provider_rate_limited'
  | 'provider_malformed_response'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'provider_rejected';

/** A token endpoint call failed; branch on `kind` and `code`. */
export class ProviderCallError extends CustodianError {
  readonly kind: ProviderCallErrorKind;
  /** The provider's HTTP status, when it answered. */
  readonly httpStatus?: number;
  /** How long the provider asked us to wait (`Retry-After`), relative to the caller's `now`. */
  readonly retryAfterMs?: number;

  constructor(
    code: ProviderCallErrorCode | ErrorCode,
    kind: ProviderCallErrorKind,
    message: string,
    options: { httpStatus?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    // The status comes from the code: a refusal is the caller's to fix (400), a provider failing is a 502/504.
    super(code, message, { cause: options.cause });
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** What went wrong: no answer at all, or an answer that is not a usable token response. */
export type TokenEndpointFailure =
  | { readonly type: 'network'; readonly error: unknown; readonly timedOut: boolean }
  | { readonly type: 'response'; readonly status: number; readonly headers: Headers; readonly body: string };

/** What the classifier needs besides the failure. */
export interface ClassifyContext {
  /** The token endpoint (its query, if any, is not shown). */
  readonly endpoint: string;
  /** The caller's clock, for `Retry-After` HTTP dates. */
  readonly now: Date;
  /** Values that must never appear in a message (refresh token, client secret, code…), in case a provider echoes them. */
  readonly secrets: readonly string[];
}

// OAuth error codes that mean the grant or the client itself is refused (RFC 6749 §5.2).
const PERMANENT_OAUTH_ERRORS = new Set<string>(['invalid_grant', 'invalid_client', 'unauthorized_client']);
// Error codes that say "try again later" even on a 4xx or 2xx (RFC 6749 §4.1.2.1 defines them; some token endpoints reuse them).
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);
const MAX_DESCRIPTION_LENGTH = 200;
const MAX_ERROR_CODE_LENGTH = 64;

/** Turns a token endpoint failure into a {@link ProviderCallError}. A 2xx response passed here is one without a usable token. */
export function classifyTokenEndpointFailure(failure: TokenEndpointFailure, context: ClassifyContext): ProviderCallError {
  const endpoint = endpointName(context.endpoint);
  if (failure.type === 'network') {
    if (failure.timedOut) return new ProviderCallError('provider_timeout', 'transient', `The token endpoint ${endpoint} did not answer in time`);
    return new ProviderCallError('provider_unreachable', 'transient', `Could not reach the token endpoint ${endpoint}${networkReason(failure.error)}`, {
      cause: failure.error,
    });
  }
  const { status } = failure;
  const oauthError = oauthErrorOf(failure.body, context.secrets);
  const answered = `The token endpoint ${endpoint} answered ${status}`;
  const options = { httpStatus: status };
  if (status === 429 || status >= 500 || (oauthError && TRANSIENT_OAUTH_ERRORS.has(oauthError.error))) {
    const retryAfterMs = retryAfter(failure.headers.get('retry-after'), context.now);
    const code = status === 429 ? 'provider_rate_limited' : 'provider_server_error';
    return new ProviderCallError(code, 'transient', `${answered}${oauthError ? describe(oauthError) : ''}`, { ...options, retryAfterMs });
  }
  if (status === 408) return new ProviderCallError('provider_timeout', 'transient', `${answered} (request timeout)`, options);
  // Some providers (GitHub) answer refused grants with 200 and an OAuth error body: the body decides, not the status.
  if (oauthError) {
    const code = PERMANENT_OAUTH_ERRORS.has(oauthError.error as ProviderCallErrorCode) ? (oauthError.error as ProviderCallErrorCode) : 'provider_rejected';
    return new ProviderCallError(code, 'permanent', `${answered}${describe(oauthError)}`, options);
  }
  if (status >= 200 && status < 300) {
    const reason = isJsonObject(failure.body) ? 'without an access_token' : `with a body that is not a JSON object (${failure.headers.get('content-type') ?? 'no content-type'})`;
    return new ProviderCallError('provider_malformed_response', 'transient', `${answered} ${reason}`, options);
  }
  return new ProviderCallError('provider_rejected', 'permanent', `${answered} without an OAuth error body`, options);
}

/** Milliseconds to wait from `Retry-After` (delay-seconds or HTTP-date, RFC 9110 §10.2.3), relative to `now`. */
export function retryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

interface OAuthError {
  readonly error: string;
  readonly description?: string;
}

function oauthErrorOf(body: string, secrets: readonly string[]): OAuthError | undefined {
  const json = parseJson(body);
  if (!isRecord(json) || typeof json['error'] !== 'string' || json['error'] === '') return undefined;
  // Shown in messages: kept to a short token so a provider cannot smuggle arbitrary text through it.
  const error = redact(json['error'], secrets).replace(/[^\w.:-]/g, '_').slice(0, MAX_ERROR_CODE_LENGTH);
  const raw = json['error_description'];
  const description = typeof raw === 'string' && raw.trim() !== '' ? truncate(redact(raw, secrets).replace(/\s+/g, ' ').trim()) : undefined;
  return { error, description };
}

function describe(oauthError: OAuthError): string {
  return ` (${oauthError.error})${oauthError.description === undefined ? '' : `: ${oauthError.description}`}`;
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret !== '').reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

function truncate(text: string): string {
  return text.length <= MAX_DESCRIPTION_LENGTH ? text : `${text.slice(0, MAX_DESCRIPTION_LENGTH - 1)}…`;
}

function endpointName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function networkReason(error: unknown): string {
  // fetch() rejects with TypeError('fetch failed') whose cause carries the system error code (ECONNREFUSED, ENOTFOUND…).
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `: ${code}` : '';
}

function isJsonObject(body: string): boolean {
  return isRecord(parseJson(body));
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
