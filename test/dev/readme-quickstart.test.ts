import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { connectionBody } from '../../src/api/schemas/responses';
import { authorizeDemoLink } from '../support/authorize-demo';
import { launchBrowser } from '../support/browser';
import { freePort } from '../support/free-port';
import { devEnv, killDev, startDev, type DevEnv, type DevRun } from '../support/npm-run-dev';

const ROOT = path.resolve(__dirname, '../..');
const BLOCK_TIMEOUT_MS = 120_000;

/** The fenced block that follows the README's `<!-- quickstart:<name> … -->` marker. */
function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- quickstart:${name}\\b[^>]*-->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme);
  if (!match) throw new Error(`README.md has no quickstart:${name} block`);
  return match[1]!;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a deadline, keeping its output; `onStdout` sees it as it comes. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; onStdout?: (text: string) => void }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += String(chunk); options.onStdout?.(stdout); });
    child.stderr.on('data', (chunk) => { stderr += String(chunk); });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), BLOCK_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README quickstart, run against npm run dev with the demo provider', function () {
  this.timeout(300_000);
  let dev: DevEnv;
  let devRun: DevRun | undefined;
  let workDir: string;
  let env: NodeJS.ProcessEnv;
  let browser: Browser | undefined;

  before(async () => {
    dev = await devEnv();
    workDir = mkdtempSync(path.join(tmpdir(), 'custodian-quickstart-'));
    // `xdg-open` for the block: Chromium does what the reader does (Connect, then Authorize).
    const bin = path.join(workDir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nexec "${process.execPath}" --require "${require.resolve('tsx/cjs')}" "${path.join(ROOT, 'test/support/authorize-demo.ts')}" "$1"\n`);
    chmodSync(path.join(bin, 'xdg-open'), 0o755);
    devRun = startDev(dev.vars);
    const secretKey = await devRun.ready;
    env = { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME, CUSTODIAN: dev.apiUrl, SECRET_KEY: secretKey };
  });
  after(async () => {
    await browser?.close();
    if (devRun && devRun.child.exitCode === null) {
      devRun.child.kill('SIGTERM');
      await Promise.race([devRun.exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    killDev(devRun);
    dev?.cleanUp();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('the curl block: creates the integration and a session, the link is authorized, the creation webhook arrives, the connection has a demo access token', async () => {
    const block = readmeBlock('curl');
    const ran = await run('bash', ['-e', '-o', 'pipefail', '-c', block], { cwd: workDir, env: { ...env, WEBHOOK_PORT: String(await freePort()) } });
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).to.equal(0);
    const webhook = JSON.parse(readFileSync(path.join(workDir, 'webhook.json'), 'utf8')) as Record<string, unknown>;
    expect(webhook).to.deep.include({ type: 'auth', operation: 'creation', success: true, providerConfigKey: 'my-demo', provider: 'custodian-demo', authMode: 'OAUTH2' });
    const lines = ran.stdout.trim().split('\n');
    const connection = connectionBody.parse(JSON.parse(lines[lines.length - 1]!));
    expect(connection).to.deep.include({ connection_id: webhook.connectionId, provider_config_key: 'my-demo', provider: 'custodian-demo' });
    expect(String(connection.credentials.access_token)).to.match(/^demo_at_/);
    expect(ran.stdout).to.contain(`${dev.apiUrl}/connect/?session_token=`);
  });

  it('the @nangohq/node block: the same five steps, the webhook verified by the SDK', async () => {
    const block = readmeBlock('node');
    browser = await launchBrowser();
    let opened: Promise<string> | undefined;
    const ran = await run(process.execPath, ['--input-type=module', '-e', block], {
      cwd: ROOT,
      env: { ...env, WEBHOOK_PORT: String(await freePort()) },
      onStdout: (text) => {
        const link = /^Open (\S+)$/m.exec(text)?.[1];
        if (link && !opened) opened = authorizeDemoLink(browser!, link);
      },
    });
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).to.equal(0);
    const connectionId = await opened!;
    const lines = ran.stdout.trim().split('\n');
    expect(lines[1]).to.equal(`auth creation true ${connectionId} signed`);
    expect(lines[2]).to.match(/^demo_at_/);
  });
});
