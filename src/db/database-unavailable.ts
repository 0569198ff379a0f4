/**
 * Recognises a PostgreSQL that cannot be reached, whichever layer reports it: Node's socket errors,
 * `pg` and `pg-pool` (server restarting, connection lost, pool acquisition timed out) and TypeORM,
 * which wraps them in QueryFailedError (`driverError`). Anything else (a constraint violation, a
 * syntax error) is not an outage.
 */

// Socket-level failures: nothing listens, the peer went away, or the network path is gone.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

// SQLSTATEs of a server going down or not accepting connections yet (PostgreSQL appendix A):
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now; class 08 is connection exceptions.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_EXCEPTION_CLASS = '08';

// pg and pg-pool raise these as plain Errors without a code.
const DRIVER_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Query read timeout',
];

const MAX_DEPTH = 8;

/** Whether `error` (or what it wraps) says PostgreSQL is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return reachable(error, 0);
}

function reachable(error: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  const { code, message, driverError, cause, errors } = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || (code.length === 5 && code.startsWith(CONNECTION_EXCEPTION_CLASS)))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.includes(message)) return true;
  // Node reports a refused dual-stack connect as an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.some((inner) => reachable(inner, depth + 1))) return true;
  return reachable(driverError, depth + 1) || reachable(cause, depth + 1);
}
