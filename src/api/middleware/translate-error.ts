/** Turns whatever a route threw into a CustodianError with a catalogued code, or undefined for a bug. */
import { isDatabaseUnavailable } from '../../db/database-unavailable';
import type { ErrorCode } from '../../error-catalogue';
import { CustodianError } from '../../errors';
import { isTemporalUnavailable } from '../../temporal/temporal-unavailable';

// Koa's own errors (http-errors) by status; any other 4xx is answered as a plain bad request.
const HTTP_ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'invalid_content_type',
};

/** Our own errors as thrown; a dependency down as its 503; Koa's 4xx by status; else undefined (a bug: 500). */
export function translateError(thrown: unknown): CustodianError | undefined {
  if (thrown instanceof CustodianError && thrown.status !== 500) return thrown;
  // Checked before our internal errors too: one that merely wraps an outage is the outage.
  if (isDatabaseUnavailable(thrown)) return new CustodianError('database_unavailable', undefined, { cause: thrown });
  if (isTemporalUnavailable(thrown)) return new CustodianError('temporal_unavailable', undefined, { cause: thrown });
  if (thrown instanceof CustodianError) return thrown;
  if (isHttpClientError(thrown)) {
    const code = HTTP_ERROR_CODES[thrown.status] ?? 'bad_request';
    // 413's message is ours (http-errors says "request entity too large"); the others keep Koa's.
    return new CustodianError(code, code === 'payload_too_large' ? undefined : thrown.message);
  }
  return undefined;
}

function isHttpClientError(error: unknown): error is { status: number; message: string } {
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}
