/** A real API on a fresh PostgreSQL database (the server `npm test` starts), for HTTP-level tests. */
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../src/config';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/context';
import { listen } from '../../src/api/server';
import { Cipher } from '../../src/crypto/cipher';
import { openDatabase } from '../../src/db/data-source';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { ConnectionStore } from '../../src/connections/connection-store';
import { createLogger } from '../../src/logger';
import { loadCatalog, type Catalog } from '../../providers/load-catalog';
import { createTestDatabase } from './database';
import { registerSecrets } from './secret-registry';
import { freePort } from './free-port';

export interface TestApi {
  url: string;
  /** The test database (for processes that share it, like a worker child process). */
  databaseUrl: string;
  deps: ApiDeps;
  /** Secret key of a fresh environment named `dev`. */
  secretKey: string;
  /** Creates another environment and returns its secret key. */
  createEnvironment(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1 with a free port; `env` adds configuration variables. */
export async function startTestApi(options: { env?: NodeJS.ProcessEnv; temporal?: Client; catalog?: Catalog; encryptionKey?: Buffer } = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const db = await openDatabase(database.url);
  const cipher = new Cipher([{ id: 'test', key: options.encryptionKey ?? randomBytes(32) }]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = parseConfig({ LOG_LEVEL: 'silent', SERVER_URL: url, ...options.env });
  const deps: ApiDeps = {
    config,
    db,
    cipher,
    catalog: options.catalog ?? loadCatalog(),
    logger: createLogger(config.logLevel),
    environments: new EnvironmentStore(db, cipher),
    integrations: new IntegrationStore(db),
    connections: new ConnectionStore(db, cipher),
    temporal: options.temporal,
  };
  const server = await listen(createApp(deps), { port, host: '127.0.0.1' });
  const { secretKey } = await deps.environments.create('dev');
  const secretKeys = [secretKey];
  registerSecrets(() => secretKeys);
  return {
    url,
    databaseUrl: database.url,
    deps,
    secretKey,
    createEnvironment: async (name) => {
      const created = (await deps.environments.create(name)).secretKey;
      secretKeys.push(created);
      return created;
    },
    close: async () => {
      await server.close();
      await db.destroy();
      await database.drop();
    },
  };
}
