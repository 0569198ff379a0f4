/**
 * Dev-mode embedded PostgreSQL: PGlite (WASM, data in a directory) served over the wire protocol
 * by pglite-socket, so the ordinary `pg` driver and TypeORM's postgres type are used unchanged.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { AddressInfo } from 'node:net';

/** A running embedded database: its URL and how to stop it (flushing to disk). */
export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts PGlite on `dataDir` (undefined → in memory) and serves it on 127.0.0.1:`port` (0 → any free port). */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number }): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  // Several connections are multiplexed onto the single PGlite session (DESIGN.md §2).
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 10 });
  await server.start();
  const port = await boundPort(server, options.port ?? 0);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

async function boundPort(server: PGLiteSocketServer, requested: number): Promise<number> {
  if (requested !== 0) return requested;
  const inner = (server as unknown as { server?: { address(): AddressInfo | string | null } }).server;
  const address = inner?.address();
  if (address && typeof address === 'object') return address.port;
  throw new Error('pglite-socket did not report its port');
}
