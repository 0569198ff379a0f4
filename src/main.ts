/**
 * Process entry: `node dist/src/main.js api|worker` (the image, after `npm run build`) or `tsx src/main.ts api|worker|dev`.
 * - api: the HTTP API. - worker: the Temporal worker. - dev: both in one process on embedded defaults
 *   (`npm run dev` starts the Temporal dev server first, then this).
 */
import 'reflect-metadata';
import { Connection, type Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createApp } from './api/app';
import { listen, type RunningServer } from './api/server';
import { socketLimitsOf } from './api/websocket/auth-socket-server';
import { AuthWebsocket } from './api/websocket/auth-websocket';
import { loadConfigOrExit, type Config } from './config';
import { ensureDevEnvironment } from './environments/ensure-dev-environment';
import { prepareDemoConnectLink, startDevDemoProvider, type DemoConnectLink } from './demo/dev-demo';
import { createLogger, createProcessLogger, type Logger } from './logger';
import type { Catalog } from '../providers/load-catalog';
import { apiDeps, loadConfiguredCatalog, workerActivities } from './start/services';
import { migrateWorkflowIds } from './start/migrate-workflow-ids';
import { openStorage, type Storage } from './start/open-storage';
import { warnIntegrationsOutsideCatalog } from './start/warn-integrations-outside-catalog';
import { connectTemporalClient } from './temporal/client';
import { temporalConnectionOptions } from './temporal/connection-options';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { installTemporalRuntimeLogger } from './temporal/runtime-logger';
import { createWorker } from './temporal/worker';
import { ConnectionWorkflows } from './connections/connection-workflows';
import { PendingWorkflowStarts } from './connections/pending-workflow-starts';
import { WorkflowStartRetrier } from './connections/workflow-start-retrier';

type Role = 'api' | 'worker' | 'dev';

/** Things to stop on SIGINT/SIGTERM, last started first. */
const stoppers: Array<() => Promise<unknown>> = [];

async function stopAll(logger: Logger): Promise<void> {
  for (const stop of stoppers.reverse()) {
    try {
      await stop();
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
    }
  }
}

/** A self-hosted cluster (docker-compose) starts without Custodian's search attributes; the worker adds them. */
async function ensureSearchAttributes(config: Config, logger: Logger): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const outcome = await registerSearchAttributes(connection, config.temporal.namespace);
    if ('refused' in outcome) logger.warn({ reason: outcome.refused }, 'could not register search attributes; register them on the namespace (README)');
    else if (outcome.added.length > 0) logger.info({ added: outcome.added }, 'registered search attributes');
  } finally {
    await connection.close();
  }
}

/** What every role starts from: configuration, storage (migrated), the catalog, a logger. */
interface Started {
  config: Config;
  storage: Storage;
  catalog: Catalog;
  logger: Logger;
}

async function startWorker({ config, storage, catalog, logger }: Started): Promise<Worker> {
  installTemporalRuntimeLogger(logger);
  if (config.temporal.address) await ensureSearchAttributes(config, logger);
  // Authorization activities start or wake connection workflows through a client of their own.
  const temporal = await connectTemporalClient(config);
  stoppers.push(() => temporal.connection.close());
  const worker = await createWorker({ config, activities: workerActivities({ config, db: storage.db, logger, temporal, catalog }) });
  const running = worker.run();
  stoppers.push(async () => {
    // The SDK also stops the worker on SIGINT/SIGTERM by itself; only ask when it is still running.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  startWorkflowIdMigration(config, storage, logger, temporal);
  startWorkflowStartRetrier(config, storage, logger, temporal);
  return worker;
}

/** Starts connection workflows whose start failed after an import (Temporal was unreachable); stops with the process. */
function startWorkflowStartRetrier(config: Config, storage: Storage, logger: Logger, client: Client): void {
  const retrier = new WorkflowStartRetrier({
    pending: new PendingWorkflowStarts(storage.db),
    workflows: new ConnectionWorkflows(client, config.temporal.taskQueue),
    logger,
    intervalMs: config.workflowStartRetryIntervalMs,
  });
  retrier.start();
  stoppers.push(() => retrier.stop());
}

/** Moves connection workflows to their encoded ids in the background (README, decisions); stops with the process. */
function startWorkflowIdMigration(config: Config, storage: Storage, logger: Logger, client: Client): void {
  const stop = new AbortController();
  const migration = migrateWorkflowIds({ db: storage.db, client, taskQueue: config.temporal.taskQueue, logger, signal: stop.signal })
    .then((report) => {
      if (report.rows > 0) logger.info({ ...report }, 'connection workflow ids migrated');
    })
    .catch((error: unknown) => logger.error({ err: error }, 'connection workflow id migration failed; the next worker start retries'));
  stoppers.push(async () => {
    stop.abort();
    await migration;
  });
}

async function startApi({ config, storage, catalog, logger }: Started): Promise<{ server: RunningServer; secretKey: string; created: boolean }> {
  const temporal = await connectTemporalClient(config);
  stoppers.push(() => temporal.connection.close());
  // The browser WebSocket; across instances through LISTEN/NOTIFY, in-process only on the embedded PGlite.
  const websocket = await AuthWebsocket.start({ db: storage.db, temporal, logger, listenUrl: storage.listenUrl, limits: socketLimitsOf(config) });
  stoppers.push(() => websocket.close());
  const deps = { ...apiDeps({ config, db: storage.db, sharedSession: storage.sharedSession, logger, temporal, catalog }), authOutcomes: websocket };
  // Buffered last_fetched_at reads are written once the server has stopped answering, before storage closes.
  stoppers.push(() => deps.connections.close());
  const dev = await ensureDevEnvironment(deps.environments, { secretKey: config.secretKey });
  // Closing the server ends its WebSocket (sockets, LISTEN connection) first.
  const server = await listen(createApp(deps), { port: config.port, upgrades: websocket });
  stoppers.push(() => server.close());
  return { server, secretKey: dev.secretKey, created: dev.created };
}

/** What the banner shows about the demo provider, when it runs. */
interface BannerDemo {
  providerUrl: string;
  link: DemoConnectLink;
}

function printBanner(config: Config, storage: Storage, secretKey: string, demo: BannerDemo | undefined): void {
  const lines = [
    'Custodian is running (dev mode). Ctrl-C stops everything.',
    `  API:          ${config.serverUrl}   (OpenAPI: ${config.serverUrl}/openapi.json)`,
    `  Connect UI:   ${config.connectUrl}`,
    `  Temporal UI:  ${config.temporal.address ? '(external Temporal cluster)' : `http://127.0.0.1:${config.temporal.uiPort}`}`,
    `  Secret key:   ${secretKey}   (environment "dev")`,
    `  Database:     ${storage.description}`,
  ];
  if (demo) {
    lines.push(
      `  Demo:         provider "custodian-demo" at ${demo.providerUrl}, integration "demo" (DEMO_PROVIDER=false turns it off)`,
      '',
      'Try a connection: open this link, click Connect, then Authorize (the link is valid until',
      `${demo.link.expiresAt}; each start prints a new one):`,
      `  ${demo.link.connectLink}`,
      `Then: curl -H "Authorization: Bearer ${secretKey}" ${config.serverUrl}/connections`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * A generated key is shown once, in dev mode only: production output goes to log collectors, so there
 * it is never printed (README, security); the operator sets CUSTODIAN_SECRET_KEY before the first start.
 */
function announceGeneratedKey(config: Config, logger: Logger, secretKey: string): void {
  if (config.mode === 'dev') {
    process.stdout.write(`Secret key of the new "dev" environment (shown once): ${secretKey}\n`);
    return;
  }
  logger.warn('created the "dev" environment with a generated secret key, which production mode does not print; set CUSTODIAN_SECRET_KEY before the first start to choose the key');
}

async function main(role: Role): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createProcessLogger(config);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void stopAll(logger).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const storage = await openStorage(config);
  stoppers.push(() => storage.close());
  let catalog = loadConfiguredCatalog(config, logger);
  let demoProviderUrl: string | undefined;
  if (role === 'dev' && config.demoProvider) {
    const demo = await startDevDemoProvider({ dataDir: config.dataDir, catalog });
    stoppers.push(() => demo.provider.close());
    catalog = demo.catalog;
    demoProviderUrl = demo.provider.url;
  }
  await warnIntegrationsOutsideCatalog(storage.db, catalog, logger);
  const started: Started = { config, storage, catalog, logger };
  if (role === 'worker' || role === 'dev') await startWorker(started);
  if (role === 'api' || role === 'dev') {
    const { server, secretKey, created } = await startApi(started);
    if (role === 'dev') {
      const demo = demoProviderUrl === undefined
        ? undefined
        : { providerUrl: demoProviderUrl, link: await prepareDemoConnectLink({ apiUrl: `http://127.0.0.1:${server.port}`, secretKey }) };
      printBanner(config, storage, secretKey, demo);
    }
    else {
      logger.info({ port: server.port }, 'API listening');
      if (created && !config.secretKey) announceGeneratedKey(config, logger, secretKey);
    }
  } else {
    logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  }
}

const role = process.argv[2];
if (role !== 'api' && role !== 'worker' && role !== 'dev') {
  process.stderr.write('usage: main api|worker|dev (node dist/src/main.js, or tsx src/main.ts)\n');
  process.exit(2);
}
main(role).catch((error: unknown) => {
  process.stderr.write(`custodian failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(createLogger('error')).then(() => process.exit(1));
});
