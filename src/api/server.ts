/** Starts the API's HTTP server and stops it cleanly. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly server: Server;
  /** The port actually bound (useful when 0 asked for any free one). */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 → any free port). */
export async function listen(app: { callback(): RequestListener }, options: { port: number; host?: string }): Promise<RunningServer> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
