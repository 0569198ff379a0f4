/** Starts the API's HTTP server and stops it cleanly. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError } from './client-error-response';

export interface RunningServer {
  readonly server: Server;
  /** The port actually bound (useful when 0 asked for any free one). */
  readonly port: number;
  close(): Promise<void>;
}

/** Something that takes the server's protocol upgrades (the browser WebSocket) and is closed before it. */
export interface UpgradeHandler {
  attach(server: Server): void;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 → any free port). */
export async function listen(app: { callback(): RequestListener }, options: { port: number; host?: string; upgrades?: UpgradeHandler }): Promise<RunningServer> {
  const server = createServer(app.callback());
  server.on('clientError', answerClientError);
  options.upgrades?.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      // Upgraded sockets are no longer HTTP connections: they must end before the server can close.
      await options.upgrades?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
