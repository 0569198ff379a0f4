/**
 * A Temporal CLI dev server as its own child process on a fixed loopback port, with a persistent store
 * (`--db-filename`, a SQLite file), so a test can stop it and start it again on the same port and state
 * while Custodian's processes keep their address. Every server started here is SIGKILLed when the test
 * process exits, as a last resort.
 */
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { searchAttributeFlags } from '../../src/temporal/search-attributes';

const CACHE = process.env.CUSTODIAN_CACHE ?? path.join(homedir(), '.cache', 'custodian');
/** A server that does not answer a namespace description by then is reported as failed to start. */
const READY_TIMEOUT_MS = 60_000;
/** A server that has not exited this long after SIGTERM is SIGKILLed. */
const STOP_GRACE_MS = 15_000;
const POLL_MS = 200;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface TemporalServerSettings {
  /** Frontend gRPC port on 127.0.0.1 (kept across restarts). */
  port: number;
  /** The SQLite file that holds every namespace, workflow and timer across restarts. */
  dbFile: string;
}

/** One dev server that can be stopped and started again on the same port and store. */
export class TemporalServerProcess {
  private child: ChildProcess | undefined;
  private text = '';

  constructor(readonly settings: TemporalServerSettings) {}

  get address(): string {
    return `127.0.0.1:${this.settings.port}`;
  }

  /** Everything the server wrote to stdout and stderr, over every start. */
  output(): string {
    return this.text;
  }

  /** Starts the server and resolves once its frontend describes the default namespace. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the Temporal server is already running');
    const cli = process.env.TEMPORAL_CLI ?? path.join(CACHE, 'temporal-cli-v1.5.1', 'temporal');
    if (!existsSync(cli)) throw new Error(`TEMPORAL_CLI not found at ${cli}: run \`npm test\` once to install it`);
    const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(this.settings.port), '--db-filename', this.settings.dbFile, '--log-level', 'warn', ...searchAttributeFlags()];
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

  private async waitUntilServing(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Temporal server exited (${child.exitCode ?? child.signalCode}): ${this.text}`);
      const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 }).catch(() => undefined);
      if (connection) {
        try {
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
    throw new Error(`the Temporal server did not serve within ${READY_TIMEOUT_MS} ms: ${this.text}`);
  }
}
