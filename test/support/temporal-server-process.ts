/**
 * A Temporal server as its own child process on a fixed loopback port with a persistent store, so a test
 * can stop it and start it again on the same port and state while Custodian's processes keep their
 * address: the Temporal server itself (`go.temporal.io/server`, the version the CLI embeds) on
 * PostgreSQL as in docker-compose.yml, when scripts/toolchain.sh built it; else the CLI dev server on a
 * SQLite file (`--db-filename`). Every server started here is SIGKILLed when the test process exits, as a
 * last resort.
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { searchAttributeFlags } from '../../src/temporal/search-attributes';
import { createTestDatabase } from './database';
import { freePort } from './free-port';

const CACHE = process.env.CUSTODIAN_CACHE ?? path.join(homedir(), '.cache', 'custodian');
/** Where scripts/toolchain.sh puts the Temporal server and its SQL schema tool (TEMPORAL_SERVER_DIR overrides). */
const SERVER_DIR = process.env.TEMPORAL_SERVER_DIR ?? path.join(CACHE, 'temporal-server-v1.29.1');
/** A server that does not answer a namespace description by then is reported as failed to start. */
const READY_TIMEOUT_MS = 90_000;
/** A server that has not exited this long after SIGTERM is SIGKILLed. */
const STOP_GRACE_MS = 15_000;
const POLL_MS = 200;
/** Retention of the `default` namespace the PostgreSQL-backed server is given (the CLI's default too). */
const RETENTION_MS = 24 * 3600_000;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One Temporal server that can be stopped and started again on the same port and store. */
export abstract class RestartableTemporal {
  private child: ChildProcess | undefined;
  private text = '';

  protected constructor(readonly port: number) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Everything the server wrote to stdout and stderr, over every start. */
  output(): string {
    return this.text;
  }

  /** The program and arguments that run the server. */
  protected abstract command(): [string, string[]];

  /** Once the frontend answers: anything a fresh store still needs (a namespace). */
  protected async afterFrontendUp(_connection: Connection): Promise<void> {}

  /** Starts the server and resolves once its frontend describes the default namespace. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the Temporal server is already running');
    const [program, args] = this.command();
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.stdout!.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
    await this.waitUntilServing(child);
  }

  /** SIGTERM (SIGKILL after a grace period); resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and removes what its store holds outside the test's directory. */
  async close(): Promise<void> {
    await this.stop();
  }

  private async waitUntilServing(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Temporal server exited (${child.exitCode ?? child.signalCode}): ${this.text.slice(-4000)}`);
      const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 }).catch(() => undefined);
      if (connection) {
        try {
          await this.afterFrontendUp(connection);
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return;
        } catch {
          // frontend up, namespace not yet: poll again
        } finally {
          await connection.close();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`the Temporal server did not serve within ${READY_TIMEOUT_MS} ms: ${this.text.slice(-4000)}`);
  }
}

/** The CLI dev server on a SQLite file. */
export class DevServerOnSqlite extends RestartableTemporal {
  constructor(
    port: number,
    private readonly dbFile: string,
  ) {
    super(port);
  }

  protected command(): [string, string[]] {
    const cli = process.env.TEMPORAL_CLI ?? path.join(CACHE, 'temporal-cli-v1.5.1', 'temporal');
    if (!existsSync(cli)) throw new Error(`TEMPORAL_CLI not found at ${cli}: run \`npm test\` once to install it`);
    return [cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(this.port), '--db-filename', this.dbFile, '--log-level', 'warn', ...searchAttributeFlags()]];
  }
}

/** The Temporal server on two fresh PostgreSQL databases (history and visibility) of the test server. */
export class ServerOnPostgres extends RestartableTemporal {
  private constructor(
    port: number,
    private readonly configDir: string,
    private readonly drops: Array<() => Promise<void>>,
  ) {
    super(port);
  }

  /** Whether scripts/toolchain.sh built the server and its schema tool. */
  static available(): boolean {
    return existsSync(path.join(SERVER_DIR, 'temporal-server')) && existsSync(path.join(SERVER_DIR, 'temporal-sql-tool'));
  }

  /** Creates both databases with the schema tool and writes the server's configuration under `dir`. */
  static async create(dir: string): Promise<ServerOnPostgres> {
    const [main, visibility] = [await createTestDatabase(), await createTestDatabase()];
    const drops = [main.drop, visibility.drop];
    try {
      for (const [database, schema] of [[main.url, 'postgresql/v12/temporal'], [visibility.url, 'postgresql/v12/visibility']] as const) await setUpSchema(database, schema);
      const ports = { frontend: await freePort(), http: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort() };
      const membership = { frontend: await smallFreePort(), history: await smallFreePort(), matching: await smallFreePort(), worker: await smallFreePort() };
      const configDir = path.join(dir, 'config');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(path.join(configDir, 'development.yaml'), stringify(serverConfig(main.url, visibility.url, ports, membership)));
      return new ServerOnPostgres(ports.frontend, configDir, drops);
    } catch (error) {
      await Promise.all(drops.map((drop) => drop()));
      throw error;
    }
  }

  protected command(): [string, string[]] {
    return [path.join(SERVER_DIR, 'temporal-server'), ['--root', path.dirname(this.configDir), '--config', 'config', '--env', 'development', '--allow-no-auth', 'start']];
  }

  /** A fresh store has no namespace: `default` is registered as auto-setup (docker-compose.yml) does. */
  protected override async afterFrontendUp(connection: Connection): Promise<void> {
    const known = await connection.workflowService.describeNamespace({ namespace: 'default' }).then(() => true, () => false);
    if (known) return;
    await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs(RETENTION_MS) }).catch((error: unknown) => {
      if (!/already exists|AlreadyExists/i.test(String(error))) throw error;
    });
  }

  override async close(): Promise<void> {
    await this.stop();
    await Promise.all(this.drops.map((drop) => drop()));
  }
}

/** Which store `restartableTemporal` uses: PostgreSQL when the server was built (TEMPORAL_RESTART_STORE=sqlite forces the dev server). */
export function restartableStore(): 'postgres' | 'sqlite' {
  return ServerOnPostgres.available() && process.env.TEMPORAL_RESTART_STORE !== 'sqlite' ? 'postgres' : 'sqlite';
}

/** The persistent Temporal server a test should use: see restartableStore; the SQLite file goes in `dir`. */
export async function restartableTemporal(dir: string): Promise<RestartableTemporal> {
  if (restartableStore() === 'postgres') return ServerOnPostgres.create(dir);
  return new DevServerOnSqlite(await freePort(), path.join(dir, 'temporal.sqlite'));
}

const run = promisify(execFile);

/** The server keeps membership ports in a PostgreSQL smallint: a free loopback port below 32768 (Linux hands out ephemeral ports above). */
async function smallFreePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

/** `temporal-sql-tool` setup-schema then update-schema with the schema embedded in the tool. */
async function setUpSchema(databaseUrl: string, schemaName: string): Promise<void> {
  const url = new URL(databaseUrl);
  const common = ['--plugin', 'postgres12', '--ep', url.hostname, '-p', url.port || '5432', '-u', decodeURIComponent(url.username), '--db', url.pathname.slice(1)];
  if (url.password) common.push('--pw', decodeURIComponent(url.password));
  const tool = path.join(SERVER_DIR, 'temporal-sql-tool');
  await run(tool, [...common, 'setup-schema', '-v', '0.0']);
  await run(tool, [...common, 'update-schema', '--schema-name', schemaName]);
}

function serverConfig(mainUrl: string, visibilityUrl: string, ports: Record<'frontend' | 'http' | 'history' | 'matching' | 'worker', number>, membership: Record<'frontend' | 'history' | 'matching' | 'worker', number>): Record<string, unknown> {
  const datastore = (databaseUrl: string, maxConns: number) => {
    const url = new URL(databaseUrl);
    return {
      sql: {
        pluginName: 'postgres12',
        databaseName: url.pathname.slice(1),
        connectAddr: `${url.hostname}:${url.port || '5432'}`,
        connectProtocol: 'tcp',
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        maxConns,
        maxIdleConns: maxConns,
        maxConnLifetime: '1h',
      },
    };
  };
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': datastore(mainUrl, 20), 'postgres-visibility': datastore(visibilityUrl, 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, membership.frontend, { httpPort: ports.http }),
      history: service(ports.history, membership.history),
      matching: service(ports.matching, membership.matching),
      worker: service(ports.worker, membership.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
}
