/**
 * Providers that fail at the transport level, for tests of what Custodian answers then: a port on
 * 127.0.0.1 where nothing listens (connection refused), and a server that accepts every request and
 * never answers (closed, its sockets destroyed, by `close()`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** `http://127.0.0.1:PORT` of a port that was free a moment ago and is closed now. */
export async function stoppedProviderUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A server that reads every request and never answers. */
export interface SilentProvider {
  readonly url: string;
  /** Requests received, by path. */
  readonly paths: string[];
  close(): Promise<void>;
}

/** Starts a {@link SilentProvider} on a free loopback port. */
export async function startSilentProvider(): Promise<SilentProvider> {
  const paths: string[] = [];
  const server: Server = createServer((req) => {
    paths.push(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
