/** One webhook delivery attempt: target check, POST, and a classified outcome (the caller decides about retries). */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress, isPrivateHostname } from './private-address';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 20_000;

export type WebhookAttemptResult =
  | { outcome: 'delivered'; status: number; durationMs: number }
  | { outcome: 'retryable'; status?: number; reason: string; retryAfterMs?: number; durationMs: number }
  | { outcome: 'rejected'; status: number; reason: string; durationMs: number }
  | { outcome: 'blocked'; reason: string };

/** Resolves a hostname to all its addresses. */
export type HostLookup = (hostname: string) => Promise<string[]>;

export interface SendWebhookInput {
  url: string;
  /** The exact signed body. */
  body: string;
  headers: Record<string, string>;
  /** Whole-attempt timeout; defaults to 20 s. */
  timeoutMs?: number;
  /** Whether loopback/private targets may be called (ALLOW_PRIVATE_WEBHOOK_TARGETS). */
  allowPrivateTargets: boolean;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Injectable for tests; defaults to node:dns lookup with `all: true`. */
  lookup?: HostLookup;
}

type TargetCheck = { ok: true; url: URL } | { ok: false; result: WebhookAttemptResult };

const RETRYABLE_STATUSES = new Set([408, 429]);

async function systemLookup(hostname: string): Promise<string[]> {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map((a) => a.address);
}

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
 * hostname resolves to. fetch resolves again, so a rebinding DNS server could still swap addresses in between.
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
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isPrivateHostname(host)) {
    return { ok: false, result: { outcome: 'blocked', reason: 'private target not allowed' } };
  }
  if (isIP(host) !== 0) return { ok: true, url };
  let addresses: string[];
  try {
    addresses = await (input.lookup ?? systemLookup)(host);
  } catch (error) {
    const reason = `dns lookup failed: ${describeNetworkError(error)}`;
    return { ok: false, result: { outcome: 'retryable', reason, durationMs: elapsed(startedAt) } };
  }
  if (addresses.length === 0 || addresses.some((address) => isPrivateAddress(address))) {
    return { ok: false, result: { outcome: 'blocked', reason: 'private target not allowed' } };
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
  const doFetch = input.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(target.url, {
      method: 'POST',
      headers: input.headers,
      body: input.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const durationMs = elapsed(startedAt);
    if (isTimeout(error)) return { outcome: 'retryable', reason: `timeout after ${timeoutMs} ms`, durationMs };
    return { outcome: 'retryable', reason: `network error: ${describeNetworkError(error)}`, durationMs };
  }
  const result = classifyResponse(response, elapsed(startedAt));
  await response.body?.cancel().catch(() => undefined);
  return result;
}
