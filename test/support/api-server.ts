/** A real API on a fresh PostgreSQL database (the server `npm test` starts), for HTTP-level tests. */
import { ALWAYS_REFRESH } from './refresh-policy';
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../src/config';
import { createApp } from '../../src/api/app';
import type { ApiDeps } from '../../src/api/context';
import { listen } from '../../src/api/server';
import { socketLimitsOf } from '../../src/api/websocket/auth-socket-server';
import { AuthWebsocket } from '../../src/api/websocket/auth-websocket';
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
  /** The cipher key (for another instance on the same database). */
  encryptionKey: Buffer;
  deps: ApiDeps;
  /** The browser WebSocket of this instance (LISTENing on the test database). */
  websocket: AuthWebsocket;
  /** Secret key of a fresh environment named `dev`. */
  secretKey: string;
  /** Creates another environment and returns its secret key. */
  createEnvironment(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  env?: NodeJS.ProcessEnv;
  temporal?: Client;
  catalog?: Catalog;
  encryptionKey?: Buffer;
  /**
   * Another API instance on this existing database (pass the first instance's `encryptionKey` too):
   * it is neither created nor dropped here, and the instance's own environment gets a unique name.
   */
  databaseUrl?: string;
}

/** Starts the API on 127.0.0.1 with a free port; `env` adds configuration variables. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const db = await openDatabase(database.url);
  const encryptionKey = options.encryptionKey ?? randomBytes(32);
  const cipher = new Cipher([{ id: 'test', key: encryptionKey }]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = parseConfig({ LOG_LEVEL: 'silent', SERVER_URL: url, ...ALWAYS_REFRESH, ...options.env });
  const logger = createLogger(config.logLevel);
  const websocket = await AuthWebsocket.start({ db, temporal: options.temporal, logger, listenUrl: database.url, limits: socketLimitsOf(config) });
  const deps: ApiDeps = {
    config,
    db,
    cipher,
    catalog: options.catalog ?? loadCatalog(),
    logger,
    environments: new EnvironmentStore(db, cipher),
    integrations: new IntegrationStore(db, cipher),
    connections: new ConnectionStore(db, cipher),
    temporal: options.temporal,
    authOutcomes: websocket,
  };
  const server = await listen(createApp(deps), { port, host: '127.0.0.1', upgrades: websocket });
  const { secretKey } = await deps.environments.create(options.databaseUrl ? `dev-${randomBytes(4).toString('hex')}` : 'dev');
  const secretKeys = [secretKey];
  registerSecrets(() => secretKeys);
  return {
    url,
    databaseUrl: database.url,
    encryptionKey,
    deps,
    websocket,
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
