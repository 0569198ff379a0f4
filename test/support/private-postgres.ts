/**
 * A PostgreSQL cluster of the test's own (Debian's binaries, like scripts/toolchain.sh), so a fault
 * test can stop and restart it without touching the shared DATABASE_URL server.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
// pg_ctl -w waits at most this long for a start or a stop.
const PG_CTL_TIMEOUT_SECONDS = 30;

export interface PrivatePostgres {
  /** `postgres://custodian@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Fast shutdown (clients get admin_shutdown), waiting until the server is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory, waiting until it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its directory. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error(`no PostgreSQL under ${PG_ROOT}: run \`npm test\` once to install Debian's postgresql`);
  return path.join(PG_ROOT, versions[versions.length - 1]!, 'bin');
}

/** Runs a PostgreSQL binary as the cluster owner (initdb and postgres refuse to run as root). */
function asOwner(binary: string, args: string[]): Promise<unknown> {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? run('runuser', ['-u', 'postgres', '--', binary, ...args]) : run(binary, args);
}

/** Creates and starts a private cluster on a free 127.0.0.1 port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'custodian-fault-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  const port = await freePort();
  const data = path.join(dir, 'data');
  await asOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'custodian', '--auth=trust', '-E', 'UTF8']);
  const pgCtl = path.join(bin, 'pg_ctl');
  const start = () =>
    asOwner(pgCtl, ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_SECONDS), 'stop']);
  let running = false;
  await start();
  running = true;
  return {
    url: `postgres://custodian@127.0.0.1:${port}/postgres`,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
