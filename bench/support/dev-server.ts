/**
 * A Temporal CLI dev server of the bench's own (in-memory SQLite, Custodian's search attributes), spawned
 * directly so that its process id is known and its memory can be read; stopped by `close()`.
 */
import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { searchAttributeFlags } from '../../src/temporal/search-attributes';
import { freePort } from '../../test/support/free-port';

const CLI = process.env.TEMPORAL_CLI ?? path.join(process.env.CUSTODIAN_CACHE ?? path.join(homedir(), '.cache', 'custodian'), 'temporal-cli-v1.5.1', 'temporal');
const START_TIMEOUT_MS = 60_000;

export interface DevServer {
  /** host:port of the frontend. */
  readonly address: string;
  readonly pid: number;
  /** A client connection, opened once the server answers. */
  readonly connection: Connection;
  close(): Promise<void>;
}

export async function startDevServer(): Promise<DevServer> {
  if (!existsSync(CLI)) throw new Error(`the Temporal CLI is not at ${CLI}: run \`npm run bench\`, which installs it`);
  const port = await freePort();
  const child = spawn(CLI, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', ...searchAttributeFlags()], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return {
        address,
        pid: child.pid!,
        connection,
        close: async () => {
          await connection.close();
          await stop();
        },
      };
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`the Temporal dev server did not answer within ${START_TIMEOUT_MS} ms: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
