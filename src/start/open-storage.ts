/** The database for a process: DATABASE_URL, or (dev) the embedded PGlite under the data directory. Migrations run here. */
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres } from '../db/embedded-postgres';

export interface Storage {
  db: DataSource;
  /** Human description for the start banner (never includes a password). */
  description: string;
  /**
   * Where a dedicated LISTEN connection can be opened (PostgreSQL LISTEN/NOTIFY between API instances).
   * Absent on the embedded PGlite: pglite-socket multiplexes every connection onto one PGlite session
   * and a NOTIFY only reaches the connection that sent it, so the API delivers in-process there.
   */
  listenUrl?: string;
  /**
   * Every pooled connection is the same database session (the embedded PGlite): a statement prepared by
   * name on one pooled client exists for all of them, so named prepared statements are not used.
   */
  sharedSession: boolean;
  close(): Promise<void>;
}

/** Opens the configured database, or starts the embedded one when none is configured. */
export async function openStorage(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Storage> {
  if (config.databaseUrl) {
    const db = await openDatabase(config.databaseUrl);
    const url = new URL(config.databaseUrl);
    return { db, description: `PostgreSQL at ${url.host}${url.pathname}`, listenUrl: config.databaseUrl, sharedSession: false, close: () => db.destroy() };
  }
  const dataDir = path.resolve(config.dataDir, 'pglite');
  const embedded = await startEmbeddedPostgres({ dataDir });
  try {
    const db = await openDatabase(embedded.url);
    return {
      db,
      description: `embedded PostgreSQL (PGlite) in ${dataDir}`,
      sharedSession: true,
      close: async () => {
        await db.destroy();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}
