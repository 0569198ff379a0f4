/**
 * A webhook receiver for lifecycle tests: a node:http server on 127.0.0.1 that records every request
 * (method, headers, raw body), answers from a programmable status sequence (200 once it runs out)
 * and can hold each answer for a while (a slow receiver).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (UTF-8). */
  rawBody: string;
  /** Real time the request arrived / was answered (ms since epoch); answeredAt is 0 until answered. */
  receivedAt: number;
  answeredAt: number;
  /** Status answered; 0 until answered. */
  status: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT/hooks`. */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Queues statuses for the next requests (then 200 again). */
  respondWith(...statuses: number[]): void;
  /** Real delay before answering each request. */
  delayMs: number;
  /** Resolves once `count` requests have been answered (real time, polled). */
  waitForAnswered(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets requests and queued statuses; no delay. */
  reset(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: ReceivedWebhook = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        answeredAt: 0,
        status: 0,
      };
      received.push(entry);
      const status = statuses.shift() ?? 200;
      const answer = () => {
        entry.status = status;
        entry.answeredAt = Date.now();
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'nope');
      };
      if (receiver.delayMs > 0) setTimeout(answer, receiver.delayMs);
      else answer();
    });
  });
  const receiver: WebhookReceiver = {
    url: '',
    received,
    delayMs: 0,
    respondWith(...next) {
      statuses.push(...next);
    },
    async waitForAnswered(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.filter((r) => r.status !== 0).length < count) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: ${count} answered requests expected, got ${received.filter((r) => r.status !== 0).length}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    reset() {
      received.length = 0;
      statuses.length = 0;
      receiver.delayMs = 0;
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  (receiver as { url: string }).url = `http://127.0.0.1:${port}/hooks`;
  return receiver;
}
