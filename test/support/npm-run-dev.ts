/** `npm run dev` as a child process (its own process group) on free ports and a private data directory. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';
import { http } from './http';

const ROOT = path.resolve(__dirname, '../..');
const READY_WITHIN_MS = 150_000;

export interface DevRun {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the banner's secret key once the API answers /health/ready. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/** Ports and data directory of one `npm run dev`, reused across its restarts. */
export interface DevEnv {
  readonly vars: Record<string, string>;
  readonly apiUrl: string;
  readonly dataDir: string;
  /** Removes the data directory. */
  cleanUp(): void;
}

/** Free ports for the API and Temporal, a temp data directory, SERVER_URL on 127.0.0.1. */
export async function devEnv(extra: Record<string, string> = {}): Promise<DevEnv> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'custodian-dev-'));
  const [api, temporal, ui] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${api}`;
  return {
    vars: { PORT: String(api), TEMPORAL_DEV_PORT: String(temporal), TEMPORAL_UI_PORT: String(ui), CUSTODIAN_DATA_DIR: dataDir, SERVER_URL: apiUrl, ...extra },
    apiUrl,
    dataDir,
    cleanUp: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Starts `npm run dev` with these variables over the inherited ones (minus those that would switch to production). */
export function startDev(env: Record<string, string>): DevRun {
  const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _ta, ...inherited } = process.env;
  const child = spawn('npm', ['run', 'dev'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout!.on('data', (chunk) => { text += String(chunk); });
  child.stderr!.on('data', (chunk) => { text += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (async () => {
    const deadline = Date.now() + READY_WITHIN_MS;
    while (Date.now() < deadline) {
      const key = /Secret key:\s+([0-9a-f-]{36})/.exec(text)?.[1];
      if (key) {
        const res = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/health/ready').catch(() => undefined);
        if (res?.status === 200) return key;
      }
      if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${text}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`npm run dev did not become ready:\n${text}`);
  })();
  return { child, output: () => text, ready, exited };
}

/** Takes down the whole process group (npm, bash, Temporal, the app) so nothing outlives a failed suite. */
export function killDev(run: DevRun | undefined): void {
  if (!run?.child.pid) return;
  try {
    process.kill(-run.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The connect link the banner prints (dev mode with the demo provider). */
export function bannerConnectLink(output: string): string | undefined {
  return /^ {2}(http\S+\/connect\/\?session_token=\S+)$/m.exec(output)?.[1];
}
