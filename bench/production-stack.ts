/**
 * The production-like pieces the benchmarks run against: Custodian built (`npm run build`) and started as the
 * Dockerfile starts it (`node dist/src/main.js api|worker`, production mode, its own process), and a
 * baseline server of the benchmark's own in a process of its own, so the load generator shares an event
 * loop with neither. Every process is stopped by the caller (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { DataSource } from 'typeorm';
import { Cipher } from '../src/crypto/cipher';
import type { EnvironmentEntity, IntegrationEntity } from '../src/db/entities';
import { openDatabase } from '../src/db/data-source';
import { EnvironmentStore } from '../src/environments/environment-store';
import { IntegrationStore } from '../src/integrations/integration-store';
import { startCustodianProcess, waitForOutput, waitForStatus200, type CustodianProcess } from '../test/support/custodian-process';
import { freePort } from '../test/support/free-port';

const ROOT = path.join(__dirname, '..');
/**
 * The image's command line (Dockerfile ENTRYPOINT), in this checkout or in BENCH_CUSTODIAN_DIR (another
 * checkout's build, e.g. an older commit's, to measure before and after with the same benchmark);
 * BENCH_CPU_PROF=<dir> adds `--cpu-prof` (a profile per process, written as it exits).
 */
function builtCommand(): { argv: string[]; cwd: string } {
  return { argv: ['node', ...profileFlags(), 'dist/src/main.js'], cwd: process.env.BENCH_CUSTODIAN_DIR ?? ROOT };
}

function profileFlags(): string[] {
  return process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
}

/** `npm run build` once per benchmark run (none with BENCH_CUSTODIAN_DIR: that build is used as it is). */
let built: Promise<void> | undefined;
export function buildOnce(): Promise<void> {
  if (process.env.BENCH_CUSTODIAN_DIR) return Promise.resolve();
  built ??= promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 300_000 }).then(() => undefined);
  return built;
}

/** What a Custodian process is started with. */
export interface StackSettings {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  encryptionKey: Buffer;
  secretKey: string;
}

export function stackSettings(databaseUrl: string, temporalAddress: string): StackSettings {
  return { databaseUrl, temporalAddress, taskQueue: `bench-${randomUUID()}`, encryptionKey: randomBytes(32), secretKey: randomUUID() };
}

function custodianEnv(settings: StackSettings): Record<string, string> {
  return {
    DATABASE_URL: settings.databaseUrl,
    TEMPORAL_ADDRESS: settings.temporalAddress,
    TEMPORAL_TASK_QUEUE: settings.taskQueue,
    ENCRYPTION_KEYS: `bench=${settings.encryptionKey.toString('base64')}`,
    CUSTODIAN_SECRET_KEY: settings.secretKey,
    // info: the readiness lines; nothing per request is logged at info.
    LOG_LEVEL: 'info',
  };
}

/** The built API on a free port, ready (`/health/ready` answered 200). */
export async function startBuiltApi(settings: StackSettings): Promise<{ process: CustodianProcess; url: string }> {
  await buildOnce();
  const port = await freePort();
  const api = startCustodianProcess('api', { ...custodianEnv(settings), PORT: String(port) }, builtCommand());
  const url = `http://127.0.0.1:${port}`;
  if ((await waitForStatus200(`${url}/health/ready`, api, 90_000)) !== 200) {
    await api.stop();
    throw new Error(`the API did not get ready:\n${api.output()}`);
  }
  return { process: api, url };
}

/** What a benchmark writes with the API's key from its own process: the `dev` environment the API created and a GitHub integration `gh`. */
export interface Seeded {
  db: DataSource;
  cipher: Cipher;
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
}

/** Opens the API's database from this process (destroy `db` when done) and creates the integration. */
export async function seedIntegration(settings: StackSettings): Promise<Seeded> {
  const db = await openDatabase(settings.databaseUrl);
  const cipher = new Cipher([{ id: 'bench', key: settings.encryptionKey }]);
  const environment = (await new EnvironmentStore(db, cipher).findBySecretKey(settings.secretKey))!;
  const integration = await new IntegrationStore(db, cipher).create(environment.id, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 'bench-client-secret', scopes: [], forwardWebhooks: true });
  return { db, cipher, environment, integration };
}

/** The built worker, polling. */
export async function startBuiltWorker(settings: StackSettings): Promise<CustodianProcess> {
  await buildOnce();
  const worker = startCustodianProcess('worker', custodianEnv(settings), builtCommand());
  if (!(await waitForOutput(worker, 'worker running', 120_000))) {
    await worker.stop();
    throw new Error(`the worker did not start:\n${worker.output()}`);
  }
  return worker;
}

/** A baseline process (bench/baseline-server.ts `<kind>`): its URL once it listens, and how to stop it. */
export interface BaselineProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `bench/<script>` through tsx (load-time transform only: the same JavaScript runs) with these variables. */
export async function startBaseline(script: string, args: string[], env: Record<string, string>): Promise<BaselineProcess> {
  const child = spawn(process.execPath, [...profileFlags(), '--require', 'tsx/cjs', path.join('bench', script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = /^ready (\S+)$/.exec(line);
      if (ready) resolve(ready[1]!);
    });
  });
  return { url, pid: child.pid!, stop };
}

/** CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until each of these processes uses under a tenth of a core over a second (their backlog done), or `timeoutMs` passes. */
export async function waitIdle(pids: number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = pids.map(cpuSeconds);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const used = pids.map((pid, i) => cpuSeconds(pid) - before[i]!);
    if (used.every((seconds) => seconds < 0.1)) return;
  }
}

/** The process of the Temporal dev server listening on `address` (its command line names the port). */
export function devServerPid(address: string): number {
  const port = address.split(':').pop()!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (() => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    })();
    if (argv.includes('start-dev') && argv[argv.indexOf('--port') + 1] === port) return Number(entry);
  }
  throw new Error(`no Temporal dev server process listens on ${address}`);
}

/** CPU time the process at `pid` spends per request over `seconds` of load from `connections` clients (less noisy than req/s on a shared machine). */
export async function cpuPerRequest(target: { url: string; headers?: Record<string, string> }, pid: number, seconds: number, connections: number): Promise<number> {
  const before = cpuSeconds(pid);
  const result = await autocannon({ url: target.url, headers: target.headers, connections, duration: seconds });
  return (cpuSeconds(pid) - before) / result.requests.total;
}
