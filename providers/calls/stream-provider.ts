/**
 * A provider call whose request and answer bodies are streams (the proxy): nothing is buffered here.
 * A failure before the answer's headers is classified by {@link transportFailure}, as every provider
 * call is; an answer of any status goes back to the caller as it came (the proxy returns the provider's
 * own 5xx and 429 to its caller, and decides itself what to retry).
 */
import type { Readable } from 'node:stream';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { createGuardedAgent, guardedAgent, type HostLookup } from '../net/guarded-agent';
import { endpointNameOf, messageRedactor, transportFailure } from './call-provider';

/** One streamed call. */
export interface StreamRequest {
  /** The provider's display name, which every message names. */
  readonly provider: string;
  readonly url: URL;
  readonly method: string;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /** A buffer (replayable) or a stream (sent once). */
  readonly body?: Buffer | Readable;
  /** Until the answer's headers, and then between two chunks of its body. */
  readonly timeoutMs: number;
  /** Values this call sends that must never appear in a message. */
  readonly secrets: readonly string[];
  /** ALLOW_PRIVATE_NETWORK_TARGETS is off: connect through the guarded agent (private addresses refused, the checked one pinned). */
  readonly refusePrivateTargets: boolean;
  /** The guarded agent's resolver (tests); the system resolver by default. */
  readonly lookup?: HostLookup;
}

/** The provider's answer: status, headers (lower-case names; repeated ones as arrays) and body stream. */
export interface StreamAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Readable;
}

let plain: Agent | undefined;

/** Sends `request`; resolves once the answer's headers arrived, or throws a ProviderCallError (no answer). */
export async function streamProvider(request: StreamRequest): Promise<StreamAnswer> {
  const dispatcher: Dispatcher = request.refusePrivateTargets ? (request.lookup ? createGuardedAgent(request.lookup) : guardedAgent()) : (plain ??= new Agent());
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  try {
    const answer = await undiciRequest(request.url, {
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body,
      dispatcher,
      signal: timeout.signal,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    });
    return { status: answer.statusCode, headers: answer.headers as Record<string, string | string[]>, body: answer.body };
  } catch (error) {
    throw transportFailure(error, {
      where: `${request.provider} (${endpointNameOf(request.url.toString())})`,
      say: messageRedactor(request.secrets),
      timedOut: timeout.signal.aborted || (error as { code?: unknown }).code === 'UND_ERR_HEADERS_TIMEOUT',
      timeoutMs: request.timeoutMs,
    });
  } finally {
    clearTimeout(timer);
  }
}
