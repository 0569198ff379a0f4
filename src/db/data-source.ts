import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema';
import { AuthAttemptOutcome1700000001000 } from './migrations/1700000001000-auth-attempt-outcome';
import { RefreshAttemptMarker1700000002000 } from './migrations/1700000002000-refresh-attempt-marker';
import { DeletedConnectionCredentials1700000003000 } from './migrations/1700000003000-deleted-connection-credentials';
import { SecretKeyOverlap1700000004000 } from './migrations/1700000004000-secret-key-overlap';
import { IntegrationCustomSecrets1700000005000 } from './migrations/1700000005000-integration-custom-secrets';
import { AttemptSecrets1700000006000 } from './migrations/1700000006000-attempt-secrets';
import { ProxyRateBuckets1700000007000 } from './migrations/1700000007000-proxy-rate-buckets';
import { AuthModeLength1700000007500 } from './migrations/1700000007500-auth-mode-length';
import { PendingWorkflowStarts1700000008000 } from './migrations/1700000008000-pending-workflow-starts';

/** Migrations in the order they run. */
export const MIGRATIONS = [
  InitialSchema1700000000000,
  AuthAttemptOutcome1700000001000,
  RefreshAttemptMarker1700000002000,
  DeletedConnectionCredentials1700000003000,
  SecretKeyOverlap1700000004000,
  IntegrationCustomSecrets1700000005000,
  AttemptSecrets1700000006000,
  ProxyRateBuckets1700000007000,
  AuthModeLength1700000007500,
  PendingWorkflowStarts1700000008000,
];

/**
 * Key of the session advisory lock that serialises migrations between processes. Arbitrary but fixed:
 * every Custodian process (API, worker, `keys:rotate`) of any version must take the same one.
 */
export const MIGRATION_LOCK_KEY = 7_261_530_348;
/** How long a request may wait for a pooled connection before it is answered 503 `database_unavailable`. */
export const POOL_ACQUIRE_TIMEOUT_MS = 5_000;
/** How long one query may wait for PostgreSQL's answer (a server gone silent, not closed, would hang forever). */
export const QUERY_TIMEOUT_MS = 30_000;

/** A TypeORM data source on `pg` (a PostgreSQL server or PGlite behind pglite-socket: one code path). */
export function createDataSource(url: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    // gen_random_uuid() exists in PostgreSQL 13+ and PGlite; uuid_generate_v4() does not in PGlite.
    uuidExtension: 'pgcrypto',
    // The migrations need no extension (gen_random_uuid() is built in), and a CREATE EXTENSION run by
    // every process as it connects would race, outside the migration lock, with the others starting.
    installExtensions: false,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 10,
      // pg-pool waits forever for a connection by default; during an outage every request would hang.
      connectionTimeoutMillis: POOL_ACQUIRE_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      // TCP keepalive notices a peer that vanished without closing the socket.
      keepAlive: true,
    },
  });
}

/**
 * Opens the data source and applies pending migrations while holding {@link MIGRATION_LOCK_KEY}, so any
 * number of API and worker processes can start at once on an empty database: the first migrates, the
 * others wait on the lock and then find nothing to apply.
 */
export async function openDatabase(url: string): Promise<DataSource> {
  const dataSource = await createDataSource(url).initialize();
  try {
    await runMigrationsLocked(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * Runs the pending migrations under a session advisory lock held on one connection of the pool (the
 * migrations run on another). If the process dies meanwhile, its session ends and PostgreSQL releases the
 * lock; each migration is its own transaction, so a half-applied one is rolled back.
 * On the embedded PGlite every connection shares one session, so the lock never blocks there; dev mode is
 * one process, and the function exists there, so one code path serves both.
 */
async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  } finally {
    await lock.release();
  }
}
