import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema';
import { AuthAttemptOutcome1700000001000 } from './migrations/1700000001000-auth-attempt-outcome';
import { RefreshAttemptMarker1700000002000 } from './migrations/1700000002000-refresh-attempt-marker';

/** Migrations in the order they run. */
export const MIGRATIONS = [InitialSchema1700000000000, AuthAttemptOutcome1700000001000, RefreshAttemptMarker1700000002000];

/** A TypeORM data source on `pg` (a PostgreSQL server or PGlite behind pglite-socket: one code path). */
export function createDataSource(url: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    // gen_random_uuid() exists in PostgreSQL 13+ and PGlite; uuid_generate_v4() does not in PGlite.
    uuidExtension: 'pgcrypto',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: { max: options.poolSize ?? 10 },
  });
}

/** Opens the data source and applies pending migrations. */
export async function openDatabase(url: string): Promise<DataSource> {
  const dataSource = await createDataSource(url).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
