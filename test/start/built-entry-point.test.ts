import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCustodianProcess, waitForOutput, waitForStatus200, type CustodianProcess } from '../support/custodian-process';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/free-port';
import { http } from '../support/http';
import { createDevServerEnv } from '../support/temporal-env';

const ROOT = path.resolve(__dirname, '../..');

/** The final stage of the Dockerfile: its instructions after the last FROM. */
function finalStage(): string[] {
  const lines = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const from = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).pop()!;
  return lines.slice(from);
}

function jsonArrayOf(stage: string[], instruction: string): string[] {
  const line = stage.find((l) => l.startsWith(`${instruction} `));
  if (!line) throw new Error(`the Dockerfile's final stage has no ${instruction}`);
  return JSON.parse(line.slice(instruction.length + 1)) as string[];
}

/** Every `.js` file under a directory. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('the production image\'s entry point: compiled JavaScript, production dependencies (npm run build, as the Dockerfile runs it)', function () {
  this.timeout(300_000);
  let imageDir: string;
  let env: TestWorkflowEnvironment;
  let database: { url: string; drop: () => Promise<void> };
  const processes: CustodianProcess[] = [];

  before(async () => {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000 });
    // What the final stage holds: package.json, the lock, node_modules (here: linked) and dist/, nothing else (no sources, no tsconfig).
    imageDir = mkdtempSync(path.join(tmpdir(), 'custodian-image-'));
    for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, file), path.join(imageDir, file));
    cpSync(path.join(ROOT, 'dist'), path.join(imageDir, 'dist'), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(imageDir, 'node_modules'));
    env = await createDevServerEnv();
    database = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await env?.teardown();
    if (imageDir) rmSync(imageDir, { recursive: true, force: true });
  });

  it('the Dockerfile builds in one stage and runs `node dist/src/main.js` with production dependencies only in the final one', () => {
    const stage = finalStage();
    expect(jsonArrayOf(stage, 'ENTRYPOINT')).to.deep.equal(['node', 'dist/src/main.js']);
    expect(jsonArrayOf(stage, 'CMD')).to.deep.equal(['api']);
    expect(stage).to.include('RUN npm ci --omit=dev --no-audit --no-fund');
    expect(stage).to.include('COPY --from=build /app/dist ./dist');
    expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).to.contain('RUN npm run build');
  });

  it('the built code requires only Node built-ins, production dependencies and its own files (so --omit=dev is enough; no tsx)', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(dependencies), ...builtinModules]);
    const outside = new Set<string>();
    for (const file of jsFiles(path.join(imageDir, 'dist'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
        const spec = match[1]!.replace(/^node:/, '');
        if (spec.startsWith('.')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!allowed.has(name)) outside.add(`${path.relative(imageDir, file)}: ${name}`);
      }
    }
    expect([...outside]).to.deep.equal([]);
    expect(Object.keys(dependencies)).to.not.include('tsx');
  });

  it('ENTRYPOINT + CMD start the API and the worker from dist/ in production mode: ready, serving, the worker bundles dist/workflows and polls', async () => {
    const stage = finalStage();
    const command = { argv: jsonArrayOf(stage, 'ENTRYPOINT'), cwd: imageDir };
    const port = await freePort();
    const shared = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `image-${randomUUID()}`,
      ENCRYPTION_KEYS: `test=${randomBytes(32).toString('base64')}`,
      CUSTODIAN_SECRET_KEY: randomUUID(),
      LOG_LEVEL: 'info',
    };
    const api = startCustodianProcess(jsonArrayOf(stage, 'CMD')[0] as 'api', { ...shared, PORT: String(port) }, command);
    const worker = startCustodianProcess('worker', shared, command);
    processes.push(api, worker);
    expect(await waitForStatus200(`http://127.0.0.1:${port}/health/ready`, api, 90_000), api.output()).to.equal(200);
    expect(await waitForOutput(worker, 'worker running', 120_000), worker.output()).to.equal(true);
    // JSON logs in production, never the readable dev lines.
    expect(JSON.parse(api.output().trim().split('\n').pop()!)).to.deep.include({ msg: 'API listening', port });
    const providers = await http(`http://127.0.0.1:${port}`, 'GET', '/providers', { token: shared.CUSTODIAN_SECRET_KEY });
    expect(providers.status).to.equal(200);
    expect(providers.body.data.map((p: { name: string }) => p.name)).to.include('github').and.not.include('custodian-demo');
    const page = await fetch(`http://127.0.0.1:${port}/connect/`);
    expect(page.status, 'the Connect UI files were copied into dist/').to.equal(200);
    expect(api.alive() && worker.alive()).to.equal(true);
  });
});
