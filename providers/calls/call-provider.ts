/**
 * The one way Custodian talks to a provider (token endpoints, OAuth 1.0a, verification, and any later
 * proxy): send with a timeout, then sort what happened into the provider's trouble — no connection, no
 * answer in time, 5xx, 429 (with Retry-After), 408 — which becomes a transient {@link ProviderCallError},
 * and an answer, which goes back to the caller. Only the caller knows what a refusal looks like for its
 * protocol (an OAuth error body, a 401/403, an `oauth_problem`); it turns the answer into one with
 * {@link ProviderAnswer.refused}. Every message of either kind passes through the one redaction of the
 * secrets this call sent.
 */
import { fetch as undiciFetch } from 'undici';
import type { ErrorCode } from '../../src/errors';
import { createGuardedAgent, guardedAgent, isPrivateTargetError, type HostLookup } from '../net/guarded-agent';
import { ProviderCallError } from './provider-call-error';

/** A fetch implementation (the global one by default). */
export type ProviderFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One call to a provider. */
export interface ProviderRequest {
  /** The provider's display name, which every message names. */
  readonly provider: string;
  /** What the URL is to the provider, for messages: `token endpoint`, `verification endpoint`… */
  readonly endpoint: string;
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | URLSearchParams;
  /** `manual` for verification requests: a redirect is an answer, not something to follow with credentials. */
  readonly redirect?: RequestInit['redirect'];
  /** Limit for the whole call, reading the body included. */
  readonly timeoutMs: number;
  /** Values this call sends that must never appear in a message (tokens, secrets, codes, keys…). */
  readonly secrets: readonly string[];
  /** The protocol's reading of an error body, shown in messages (redacted): ` (invalid_grant): description`. */
  readonly describeBody?: (body: string) => string;
  /** Clock for `Retry-After` HTTP dates (an activity's wall clock unless the caller has a better one). */
  readonly now?: Date;
  readonly fetch?: ProviderFetch;
  /**
   * The host came from an end user (connection config) and ALLOW_PRIVATE_NETWORK_TARGETS is off: connect
   * through the guarded agent, which refuses private addresses and pins the one it checked.
   */
  readonly refusePrivateTargets?: boolean;
  /** The guarded agent's resolver (tests); the system resolver by default. */
  readonly lookup?: HostLookup;
}

/** What the provider answered, when it is not its own trouble (no 5xx, 429 or 408). */
export interface ProviderAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** The answer's status is 2xx. */
  readonly ok: boolean;
  /** A permanent failure: the provider refused, for a reason the caller's protocol names with `code`. */
  refused(code: ErrorCode, reason?: string): ProviderCallError;
  /** A transient failure from an answer the caller cannot use (garbled, or an error the protocol calls temporary). */
  unusable(code: 'provider_malformed_response' | 'provider_server_error', reason?: string): ProviderCallError;
}

// System errors meaning the request never left (or never reached a server that could act on it).
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const MAX_REASON_LENGTH = 300;

/** Sends `request` and classifies the outcome; resolves with the provider's answer or throws a {@link ProviderCallError}. */
export async function callProvider(request: ProviderRequest): Promise<ProviderAnswer> {
  const redact = redactor(request.secrets);
  const say = (text: string): string => capitalise(redact(text));
  const where = `the ${request.endpoint} of ${request.provider} (${endpointName(request.url)})`;
  const signal = AbortSignal.timeout(request.timeoutMs);
  const agent = request.refusePrivateTargets ? (request.lookup ? createGuardedAgent(request.lookup) : guardedAgent()) : undefined;
  const doFetch = request.fetch ?? (agent ? (undiciFetch as unknown as ProviderFetch) : fetch);
  // undici's own Agent type and the one Node's RequestInit names are the same class, typed twice.
  const dispatcher = agent ? { dispatcher: agent as unknown as RequestInit['dispatcher'] } : {};
  let response: Response;
  let body: string;
  try {
    response = await doFetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: request.redirect, signal, ...dispatcher });
    body = await response.text();
  } catch (error) {
    throw transportFailure(error, { where, say, timedOut: signal.aborted, timeoutMs: request.timeoutMs });
  } finally {
    if (agent && request.lookup) void agent.close();
  }
  const { status, headers } = response;
  // Redacted before it is cut short, so that no part of a secret survives the cut.
  const answered = (reason = request.describeBody?.(body) ?? '') => say(`${where} answered ${status}${truncate(redact(reason))}`);
  if (status === 429 || status >= 500) {
    const retryAfterMs = retryAfterMsOf(headers.get('retry-after'), request.now ?? new Date());
    throw new ProviderCallError(status === 429 ? 'provider_rate_limited' : 'provider_server_error', 'transient', answered(), { httpStatus: status, retryAfterMs });
  }
  // 408: the server gave up waiting for our request (RFC 9110 §15.5.9), so it did not act on it.
  if (status === 408) throw new ProviderCallError('provider_timeout', 'transient', answered(' (request timeout)'), { httpStatus: status });
  return {
    status,
    headers,
    body,
    ok: status >= 200 && status < 300,
    refused: (code, reason) => new ProviderCallError(code, 'permanent', answered(reason), { httpStatus: status }),
    unusable: (code, reason) => new ProviderCallError(code, 'transient', answered(reason), { httpStatus: status }),
  };
}

/** What a request knows when it failed before any answer: its description, its redaction, and whether its time ran out. */
export interface TransportFailureContext {
  /** `the <endpoint> of <provider> (<origin + path>)`. */
  readonly where: string;
  /** Redacts and capitalises a message. */
  readonly say: (text: string) => string;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

/**
 * The classification of a request that got no answer, shared by every way of calling a provider
 * (buffered here, streamed by the proxy): a private target (permanent), no answer in time, or no
 * connection (transient; `answerLost` unless the request provably never left).
 */
export function transportFailure(error: unknown, context: TransportFailureContext): ProviderCallError {
  const { where, say } = context;
  if (isPrivateTargetError(error)) {
    return new ProviderCallError('private_network_target', 'permanent', say(`${where} is in the private network (ALLOW_PRIVATE_NETWORK_TARGETS is off)`));
  }
  if (context.timedOut) return new ProviderCallError('provider_timeout', 'transient', say(`${where} did not answer within ${seconds(context.timeoutMs)}`), { answerLost: true });
  const code = systemErrorCode(error);
  return new ProviderCallError('provider_unreachable', 'transient', say(`${where} could not be reached${code ? `: ${code}` : ''}`), {
    answerLost: code === undefined || !NOT_SENT_CODES.has(code),
    cause: error,
  });
}

/** A redaction of these secrets whose output starts with a capital letter (messages). */
export function messageRedactor(secrets: readonly string[]): (text: string) => string {
  const redact = redactor(secrets);
  return (text) => capitalise(redact(text));
}

/** Origin and path of a URL, for messages (never its query, which may carry a key). */
export function endpointNameOf(url: string): string {
  return endpointName(url);
}

/** Milliseconds to wait from a `Retry-After` value (delay-seconds or HTTP-date, RFC 9110 §10.2.3), relative to `now`. */
export function retryAfterMsOf(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

/** Replaces every occurrence of every (non-empty) secret with `[redacted]`, longest first so a secret containing another is wholly hidden. */
function redactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...new Set(secrets.filter((secret) => secret !== ''))].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Origin and path: a query string may carry a key (`?api_key=`), so it is never shown. */
function endpointName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** fetch() rejects with TypeError('fetch failed') whose cause carries the system error code (ECONNREFUSED, ENOTFOUND…). */
function systemErrorCode(error: unknown): string | undefined {
  // undici.request() rejects with the system (or undici) error itself.
  const own = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof own === 'string' && own !== 'ERR_INVALID_ARG_TYPE') return own;
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function truncate(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
