/**
 * Dev-mode embedded PostgreSQL: PGlite (WASM, data in a directory) served over the wire protocol
 * by pglite-socket, so the ordinary `pg` driver and TypeORM's postgres type are used unchanged.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
  return {
    // getServerConn() reports the port actually bound, also when 0 asked for any free one.
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

