/**
 * Custodian's production topology on this machine: API and worker child processes in production mode
 * (`src/main.ts api|worker`) against one Temporal server and one PostgreSQL database, a fake OAuth
 * provider in their catalog, an environment and the `fake` integration seeded. Imports and reads go
 * through the API processes; what became of each connection is read from PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { In, type DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { decryptCredentials } from '../../src/connections/credentials';
import { Cipher } from '../../src/crypto/cipher';
import { openDatabase } from '../../src/db/data-source';
import { ConnectionEntity } from '../../src/db/entities';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { connectionWorkflowId } from '../../workflows/connection-messages';
import { startCustodianProcess, waitForOutput, type CustodianProcess } from './custodian-process';
import { createTestDatabase } from './database';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from './fake-provider';
import { freePort } from './free-port';
import { http, type HttpResult } from './http';
import { FAKE_PROVIDER, fakeIntegration, obtainTokens } from './lifecycle';
import { registerSecrets } from './secret-registry';

/** How long a process gets to log that it is listening or polling. */
const START_TIMEOUT_MS = 90_000;
/** Imports sent at once across the API processes. */
const IMPORT_CONCURRENCY = 8;
const ENVIRONMENT = 'dev';
const INTEGRATION = 'fake';

/** Every child started by any topology, SIGKILLed when the test process exits (a last resort). */
const children = new Set<CustodianProcess>();
process.on('exit', () => {
  for (const child of children) child.child.kill('SIGKILL');
});

export interface TopologyOptions {
  temporalAddress: string;
  apis: number;
  /** Extra variables for every process (REFRESH_MARGIN, REFRESH_POLICY, …). */
  env?: Record<string, string>;
}

/** One imported connection. */
export interface TopologyConnection {
  rowId: string;
  connectionId: string;
  /** The refresh token it was imported with (the one its first refresh presents). */
  refreshToken: string;
}

/** One `GET /connections/:id` a reader made. */
export interface TopologyRead {
  /** Index of the API process it went through. */
  api: number;
  connectionId: string;
  status: number;
  /** Whether it answered an access token the provider accepted when the answer came. */
  valid: boolean;
  /** Whether the reader's `during` flag was up when it was sent or answered. */
  during: boolean;
}

export interface ApiProcess {
  url: string;
  process: CustodianProcess;
}

export class ProductionTopology {
  readonly apis: ApiProcess[] = [];
  readonly workers: CustodianProcess[] = [];
  readonly taskQueue = `scale-${randomUUID()}`;

  private constructor(
    readonly provider: FakeProvider,
    readonly db: DataSource,
    readonly cipher: Cipher,
    readonly secretKey: string,
    private readonly env: Record<string, string>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** Creates the database, the provider and the seed, and starts the API processes (no worker yet). */
  static async start(options: TopologyOptions): Promise<ProductionTopology> {
    const provider = await startFakeProvider({ rotateRefreshTokens: true });
    const database = await createTestDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'custodian-topology-'));
    const providersFile = path.join(dir, 'providers.yaml');
    writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
    const key = randomBytes(32);
    const cipher = new Cipher([{ id: 'test', key }]);
    const db = await openDatabase(database.url);
    const created = await new EnvironmentStore(db, cipher).create(ENVIRONMENT);
    registerSecrets(() => [created.secretKey]);
    await new IntegrationStore(db, cipher).create(created.environment.id, fakeIntegration(provider));
    const shared = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: options.temporalAddress,
      ENCRYPTION_KEYS: `test=${key.toString('base64')}`,
      PROVIDERS_FILE: providersFile,
      // info: the API logs "API listening" and the worker "worker running" at info.
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const topology = new ProductionTopology(provider, db, cipher, created.secretKey, shared, async () => {
      await db.destroy();
      await provider.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });
    topology.env.TEMPORAL_TASK_QUEUE = topology.taskQueue;
    try {
      await Promise.all(Array.from({ length: options.apis }, () => topology.startApi()));
    } catch (error) {
      await topology.close();
      throw error;
    }
    return topology;
  }

  private async startApi(): Promise<void> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = this.track(startCustodianProcess('api', { ...this.env, PORT: String(port), SERVER_URL: url }));
    this.apis.push({ url, process: child });
    if (!(await waitForOutput(child, 'API listening', START_TIMEOUT_MS))) throw new Error(`an API process did not start: ${child.output()}`);
  }

  /** Starts a worker process and resolves once it polls. */
  async startWorker(): Promise<CustodianProcess> {
    const child = this.track(startCustodianProcess('worker', this.env));
    this.workers.push(child);
    if (!(await waitForOutput(child, 'worker running', START_TIMEOUT_MS))) throw new Error(`a worker process did not start: ${child.output()}`);
    return child;
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  async kill(child: CustodianProcess): Promise<void> {
    if (!child.alive()) return;
    const exited = once(child.child, 'exit');
    child.child.kill('SIGKILL');
    await exited;
  }

  /** Imports an OAUTH2 connection with fresh provider tokens through one API process, expiring at `expiresAt`. */
  async importConnection(api: ApiProcess, connectionId: string, expiresAt: Date): Promise<{ result: HttpResult; refreshToken: string }> {
    const tokens = await obtainTokens(this.provider);
    const result = await http(api.url, 'POST', '/connections', {
      token: this.secretKey,
      body: {
        provider_config_key: INTEGRATION,
        connection_id: connectionId,
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: expiresAt.toISOString() },
      },
    });
    return { result, refreshToken: String(tokens.refresh_token) };
  }

  /** Imports `count` connections named `${prefix}-${i}`, alternating between the API processes; throws on any answer but 201. */
  async importMany(prefix: string, count: number, expiresAt: () => Date): Promise<TopologyConnection[]> {
    const connections: TopologyConnection[] = [];
    const importOne = async (index: number): Promise<void> => {
      const connectionId = `${prefix}-${index}`;
      const { result, refreshToken } = await this.importConnection(this.apis[index % this.apis.length]!, connectionId, expiresAt());
      if (result.status !== 201) throw new Error(`import of ${connectionId} answered ${result.status}: ${JSON.stringify(result.body)}`);
      const row = await this.db.getRepository(ConnectionEntity).findOneByOrFail({ connectionId });
      connections.push({ rowId: row.id, connectionId, refreshToken });
    };
    for (let start = 0; start < count; start += IMPORT_CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, count - start) }, (_, i) => importOne(start + i)));
    }
    return connections;
  }

  /** `GET /connections/:id` through one API process. */
  read(api: ApiProcess, connectionId: string, options: { forceRefresh?: boolean } = {}): Promise<HttpResult> {
    const query = `provider_config_key=${INTEGRATION}${options.forceRefresh ? '&force_refresh=true' : ''}`;
    return http(api.url, 'GET', `/connections/${encodeURIComponent(connectionId)}?${query}`, { token: this.secretKey });
  }

  /**
   * `perApi` readers on every API process, each reading random connections one after the other until
   * stopped; `during` marks the reads sent or answered while it returns true (an outage, say).
   */
  startReaders(connections: readonly TopologyConnection[], options: { perApi: number; during?: () => boolean }): { stop(): Promise<TopologyRead[]> } {
    const reads: TopologyRead[] = [];
    const during = options.during ?? (() => false);
    let stopped = false;
    const reader = async (api: ApiProcess, index: number): Promise<void> => {
      while (!stopped) {
        const { connectionId } = connections[Math.floor(Math.random() * connections.length)]!;
        const before = during();
        const response = await this.read(api, connectionId).catch(() => ({ status: 0, body: undefined }));
        const token: unknown = response.body?.credentials?.access_token;
        reads.push({ api: index, connectionId, status: response.status, valid: typeof token === 'string' && this.provider.isAccessTokenValid(token), during: before || during() });
      }
    };
    const running = this.apis.flatMap((api, index) => Array.from({ length: options.perApi }, () => reader(api, index)));
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(running);
        return reads;
      },
    };
  }

  async rows(connections: readonly TopologyConnection[]): Promise<ConnectionEntity[]> {
    return this.db.getRepository(ConnectionEntity).findBy({ id: In(connections.map((c) => c.rowId)) });
  }

  /** The access token a row holds now. */
  accessTokenOf(row: ConnectionEntity): string {
    const credentials = decryptCredentials(this.cipher, row);
    if (credentials.type !== 'OAUTH2') throw new Error(`connection ${row.connectionId} holds ${credentials.type} credentials`);
    return credentials.access_token;
  }

  workflowId(connectionId: string): string {
    return connectionWorkflowId(ENVIRONMENT, INTEGRATION, connectionId);
  }

  /** The processes whose output holds a token the provider issued, its client secret or the environment's secret key. */
  processesPrintingSecrets(): string[] {
    const { issued, knobs } = this.provider;
    const secrets = [...issued.accessTokens, ...issued.refreshTokens, ...issued.codes, knobs.clientSecret, this.secretKey];
    return [...this.apis.map((a) => a.process), ...this.workers].filter((p) => secrets.some((secret) => p.output().includes(secret))).map((p) => p.role);
  }

  /** Every process's output, for failure messages. */
  outputs(): string {
    return [...this.apis.map((a) => a.process), ...this.workers].map((p) => `--- ${p.role} (${p.alive() ? 'running' : 'exited'})\n${p.output()}`).join('\n');
  }

  /** Stops every process (SIGTERM, then SIGKILL), drops the database, closes the provider. */
  async close(): Promise<void> {
    const all = [...this.apis.map((a) => a.process), ...this.workers];
    await Promise.all(all.map((p) => p.stop()));
    for (const p of all) children.delete(p);
    await this.cleanup();
  }

  private track(child: CustodianProcess): CustodianProcess {
    children.add(child);
    child.child.once('exit', () => children.delete(child));
    return child;
  }
}
