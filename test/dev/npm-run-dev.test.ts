import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/free-port';
import { http } from '../support/http';

const ROOT = path.resolve(__dirname, '../..');

interface DevRun {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the banner's secret key once the API answers /health/ready. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** `npm run dev` as a child process on private ports and a private data directory. */
function startDev(env: Record<string, string>): DevRun {
  // Everything inherited except variables that would switch to production or external services.
  const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _ta, ...inherited } = process.env;
  const child = spawn('npm', ['run', 'dev'], { cwd: ROOT, env: { ...inherited, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout!.on('data', (chunk) => { text += String(chunk); });
  child.stderr!.on('data', (chunk) => { text += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (async () => {
    const deadline = Date.now() + 150_000;
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

describe('npm run dev (child process)', function () {
  this.timeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'custodian-dev-'));
  let env: Record<string, string>;
  let run: DevRun | undefined;

  before(async () => {
    const [api, temporal, ui] = [await freePort(), await freePort(), await freePort()];
    env = { PORT: String(api), TEMPORAL_DEV_PORT: String(temporal), TEMPORAL_UI_PORT: String(ui), CUSTODIAN_DATA_DIR: dataDir, SERVER_URL: `http://127.0.0.1:${api}` };
  });
  after(async () => {
    // On a failed test, take down the whole process group (npm, bash, Temporal, the app) so nothing outlives the suite.
    if (run?.child.pid) {
      try {
        process.kill(-run.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  let secretKey: string;

  it('prints the API, Connect UI and Temporal UI URLs and a secret key, and serves the catalog with that key', async () => {
    run = startDev(env);
    secretKey = await run.ready;
    const banner = run.output();
    expect(banner).to.contain(`API:          http://127.0.0.1:${env.PORT}`);
    expect(banner).to.contain(`Connect UI:   http://127.0.0.1:${env.PORT}/connect`);
    expect(banner).to.contain(`Temporal UI:  http://127.0.0.1:${env.TEMPORAL_UI_PORT}`);
    const providers = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/providers', { token: secretKey });
    expect(providers.status).to.equal(200);
    expect(providers.body.data.length).to.be.greaterThan(60);
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    expect(ui.status).to.equal(200);
    const created = await http(`http://127.0.0.1:${env.PORT}`, 'POST', '/integrations', { token: secretKey, body: { provider: 'github', unique_key: 'kept-across-restarts' } });
    expect(created.status).to.equal(200);
  });

  it('stops every child on SIGTERM and frees its ports', async () => {
    run!.child.kill('SIGTERM');
    expect(await run!.exited).to.equal(0);
    expect(run!.output()).to.contain('[dev] stopping');
    for (const port of [env.PORT, env.TEMPORAL_DEV_PORT, env.TEMPORAL_UI_PORT]) {
      expect(await portIsOpen(Number(port)), `port ${port}`).to.equal(false);
    }
    // The Temporal dev server is the only child whose command line names the data directory.
    expect(execFileSync('ps', ['-eo', 'args']).toString()).to.not.contain(dataDir);
  });

  it('keeps the data on a second start: same secret key, the integration is still there', async () => {
    run = startDev(env);
    const again = await run.ready;
    expect(again).to.equal(secretKey);
    const res = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/integrations/kept-across-restarts', { token: secretKey });
    expect(res.status).to.equal(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).to.equal(0);
  });
});
