/**
 * What the worker benchmarks share: their own Temporal dev server, a fresh database on the bench's
 * PostgreSQL, a fake OAuth provider in this process, Custodian's API services in this process (for
 * imports), and worker processes run from the compiled JavaScript (`npm run build`), as the image runs them.
 */
import { Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCatalog } from '../../providers/load-catalog';
import { ConnectionService, type Scope } from '../../src/connections/connection-service';
import { startTestApi, type TestApi } from '../../test/support/api-server';
import { startCustodianProcess, waitForOutput, type CustodianProcess, type ProcessCommand } from '../../test/support/custodian-process';
import { fakeProviderEntry, startFakeProvider, type FakeProvider, type FakeProviderKnobs } from '../../test/support/fake-provider';
import { FAKE_PROVIDER, fakeIntegration } from '../../test/support/lifecycle';
import { mapLimit } from '../../test/support/map-limit';
import { startDevServer, type DevServer } from './dev-server';

const ROOT = path.join(__dirname, '..', '..');
const BUILT: ProcessCommand = { argv: ['node', 'dist/src/main.js'], cwd: ROOT };
const READY_TIMEOUT_MS = 120_000;

export interface CustodianStack {
  temporal: DevServer;
  client: Client;
  provider: FakeProvider;
  api: TestApi;
  scope: Scope;
  service: ConnectionService;
  taskQueue: string;
  /** Starts a worker process from dist/ with these extra variables, and waits until it polls. */
  startWorker(env?: Record<string, string>): Promise<CustodianProcess>;
  close(): Promise<void>;
}

let built = false;

/** `npm run build` once per bench process: the workers run dist/, never tsx. */
export function buildOnce(): void {
  if (built) return;
  const started = performance.now();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
  console.log(`built dist/ (npm run build) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The WORKER_* variables of the bench's own environment, passed on to Custodian's worker (to try tunings). */
export function workerTuningFromEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('WORKER_') && entry[1] !== undefined));
}

export async function startCustodianStack(options: { knobs?: Partial<FakeProviderKnobs>; temporal?: DevServer } = {}): Promise<CustodianStack> {
  buildOnce();
  const temporal = options.temporal ?? (await startDevServer());
  const client = new Client({ connection: temporal.connection });
  const provider = await startFakeProvider(options.knobs);
  const providersFile = path.join(mkdtempSync(path.join(tmpdir(), 'custodian-bench-')), 'providers.yaml');
  writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
  const catalog = loadCatalog({ extraFile: providersFile });
  const encryptionKey = randomBytes(32);
  const taskQueue = `bench-${randomUUID()}`;
  const api = await startTestApi({ temporal: client, catalog, encryptionKey, env: { TEMPORAL_TASK_QUEUE: taskQueue } });
  const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
  const integration = await api.deps.integrations.create(environment.id, fakeIntegration(provider));
  const { deps } = api;
  const service = new ConnectionService({ db: deps.db, cipher: deps.cipher, catalog, config: deps.config, connections: deps.connections, temporal: client, logger: deps.logger });
  const workers: CustodianProcess[] = [];
  return {
    temporal,
    client,
    provider,
    api,
    scope: { environment, integration },
    service,
    taskQueue,
    startWorker: async (env = {}) => {
      const worker = startCustodianProcess(
        'worker',
        {
          DATABASE_URL: api.databaseUrl,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          ENCRYPTION_KEYS: `test=${encryptionKey.toString('base64')}`,
          PROVIDERS_FILE: providersFile,
          LOG_LEVEL: 'info',
          ...workerTuningFromEnvironment(),
          ...env,
        },
        BUILT,
      );
      workers.push(worker);
      if (!(await waitForOutput(worker, '"msg":"worker running"', READY_TIMEOUT_MS))) throw new Error(`the worker did not start:\n${worker.output().slice(-2000)}`);
      return worker;
    },
    close: async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
      await provider.close();
      await api.close();
      if (!options.temporal) await temporal.close();
    },
  };
}

/** Runs `task(0…count-1)` with at most `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  await mapLimit(Array.from({ length: count }, (_, i) => i), concurrency, task);
}

/** Polls `probe` every `everyMs` until it returns true; the moment it did (performance.now()). */
export async function waitFor(probe: () => Promise<boolean>, options: { timeoutMs: number; everyMs?: number; what: string }): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return performance.now();
    if (Date.now() > deadline) throw new Error(`${options.what}: not within ${options.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 250));
  }
}
