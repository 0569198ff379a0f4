/** One webhook delivery attempt: target check, POST, and a classified outcome (the caller decides about retries). */
import { fetch as undiciFetch } from 'undici';
import { createGuardedAgent, guardedAgent, isPrivateTargetError, publicAddresses, systemLookup, type HostLookup } from '../../providers/net/guarded-agent';

export type { HostLookup } from '../../providers/net/guarded-agent';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 20_000;

export type WebhookAttemptResult =
  | { outcome: 'delivered'; status: number; durationMs: number }
  | { outcome: 'retryable'; status?: number; reason: string; retryAfterMs?: number; durationMs: number }
  | { outcome: 'rejected'; status: number; reason: string; durationMs: number }
  | { outcome: 'blocked'; reason: string };

export interface SendWebhookInput {
  url: string;
  /** The exact signed body. */
  body: string;
  headers: Record<string, string>;
  /** Whole-attempt timeout; defaults to 20 s. */
  timeoutMs?: number;
  /** Whether loopback/private targets may be called (ALLOW_PRIVATE_NETWORK_TARGETS). */
  allowPrivateTargets: boolean;
  /** Injectable for tests; defaults to undici's fetch, which is given the guarded agent as `dispatcher`. */
  fetch?: typeof fetch;
  /** Injectable for tests; defaults to node:dns lookup with `all: true`. */
  lookup?: HostLookup;
}

type TargetCheck = { ok: true; url: URL } | { ok: false; result: WebhookAttemptResult };

const RETRYABLE_STATUSES = new Set([408, 429]);

function elapsed(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

/** Error code (ECONNREFUSED…) or message of a failed fetch/lookup, without anything from the request. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : cause.message;
  }
  return String(cause);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Refuses non-http(s) URLs and, unless allowed, private targets: by spelling first, then every address the
 * hostname resolves to. The connection resolves again through the guarded agent, which checks what it connects to.
 */
async function checkTarget(input: SendWebhookInput, startedAt: number): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    return { ok: false, result: { outcome: 'blocked', reason: 'invalid URL' } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, result: { outcome: 'blocked', reason: `unsupported protocol ${url.protocol}` } };
  }
  if (input.allowPrivateTargets) return { ok: true, url };
  try {
    await publicAddresses(url.hostname, input.lookup ?? systemLookup);
  } catch (error) {
    if (isPrivateTargetError(error)) return { ok: false, result: { outcome: 'blocked', reason: 'private target not allowed' } };
    const reason = `dns lookup failed: ${describeNetworkError(error)}`;
    return { ok: false, result: { outcome: 'retryable', reason, durationMs: elapsed(startedAt) } };
  }
  return { ok: true, url };
}

/**
 * 2xx delivered; 408, 429 and 5xx retryable; other statuses rejected. A 3xx is rejected and never
 * followed: its Location was not checked and could point at a private target.
 */
function classifyResponse(response: Response, durationMs: number): WebhookAttemptResult {
  const status = response.status;
  if (status >= 200 && status < 300) return { outcome: 'delivered', status, durationMs };
  if (RETRYABLE_STATUSES.has(status) || (status >= 500 && status < 600)) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const result: WebhookAttemptResult = { outcome: 'retryable', status, reason: `HTTP ${status}`, durationMs };
    return retryAfterMs === undefined ? result : { ...result, retryAfterMs };
  }
  if (status >= 300 && status < 400) {
    return { outcome: 'rejected', status, reason: `HTTP ${status}: redirects are not followed`, durationMs };
  }
  return { outcome: 'rejected', status, reason: `HTTP ${status}`, durationMs };
}

/** POSTs the body once. Never throws for HTTP or network outcomes; `reason` never holds the body or signatures. */
export async function sendWebhook(input: SendWebhookInput): Promise<WebhookAttemptResult> {
  const startedAt = performance.now();
  const target = await checkTarget(input, startedAt);
  if (!target.ok) return target.result;
  const timeoutMs = input.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const doFetch = input.fetch ?? (undiciFetch as unknown as typeof fetch);
  // Injected lookups (tests) get their own agent; production shares one over the system resolver.
  const agent = input.allowPrivateTargets ? undefined : input.lookup ? createGuardedAgent(input.lookup) : guardedAgent();
  let response: Response;
  try {
    response = await doFetch(target.url, {
      method: 'POST',
      headers: input.headers,
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      // undici's own Agent type and the one Node's RequestInit names are the same class, typed twice.
      ...(agent ? { dispatcher: agent as unknown as RequestInit['dispatcher'] } : {}),
    });
  } catch (error) {
    const durationMs = elapsed(startedAt);
    if (isPrivateTargetError(error)) return { outcome: 'blocked', reason: 'private target not allowed' };
    if (isTimeout(error)) return { outcome: 'retryable', reason: `timeout after ${timeoutMs} ms`, durationMs };
    return { outcome: 'retryable', reason: `network error: ${describeNetworkError(error)}`, durationMs };
  } finally {
    if (agent && input.lookup) void agent.close();
  }
  const result = classifyResponse(response, elapsed(startedAt));
  await response.body?.cancel().catch(() => undefined);
  return result;
}
