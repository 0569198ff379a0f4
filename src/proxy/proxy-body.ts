/**
 * The caller's request body on its way to the provider: kept in memory when it is small (so a retry or
 * the retry after a refresh can send it again), streamed through otherwise (sent once, never buffered whole).
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

/** Bodies up to this size can be sent again. */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

export type ProxyBody =
  | { kind: 'none' }
  | { kind: 'buffered'; bytes: Buffer }
  /** Larger than REPLAYABLE_BODY_BYTES: what was read so far, then the rest of the request. */
  | { kind: 'streamed'; stream: Readable };

/** Reads up to REPLAYABLE_BODY_BYTES of the body; a body still going on past that is handed over as a stream. */
export function readProxyBody(req: IncomingMessage): Promise<ProxyBody> {
  const declared = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (declared === undefined || declared === '0')) return Promise.resolve({ kind: 'none' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= REPLAYABLE_BODY_BYTES) return;
      cleanup();
      req.pause();
      const stream = new PassThrough();
      for (const part of chunks) stream.write(part);
      req.pipe(stream);
      resolve({ kind: 'streamed', stream });
    };
    const onEnd = () => {
      cleanup();
      resolve(size === 0 ? { kind: 'none' } : { kind: 'buffered', bytes: Buffer.concat(chunks) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Whether the body can be sent another time. */
export function isReplayable(body: ProxyBody): boolean {
  return body.kind !== 'streamed';
}

/** What to hand the HTTP client for one send. */
export function bodyToSend(body: ProxyBody): Buffer | Readable | undefined {
  if (body.kind === 'none') return undefined;
  return body.kind === 'buffered' ? body.bytes : body.stream;
}
