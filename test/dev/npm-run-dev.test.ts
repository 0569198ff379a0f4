import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { http } from '../support/http';
import { devEnv, killDev, startDev, type DevEnv, type DevRun } from '../support/npm-run-dev';

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run dev (child process)', function () {
  this.timeout(240_000);
  let dev: DevEnv;
  let env: Record<string, string>;
  let run: DevRun | undefined;

  before(async () => {
    dev = await devEnv();
    env = dev.vars;
  });
  after(() => {
    killDev(run);
    dev?.cleanUp();
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
    // The demo provider is on by default: its catalog entry, its integration and a connect link in the banner.
    expect(providers.body.data.map((p: { name: string }) => p.name)).to.include('custodian-demo');
    expect(banner).to.match(/Demo: +provider "custodian-demo" at http:\/\/127\.0\.0\.1:\d+, integration "demo"/);
    expect(banner).to.match(new RegExp(`^  http://127\\.0\\.0\\.1:${env.PORT}/connect/\\?session_token=nango_connect_session_[0-9a-f]+&apiURL=`, 'm'));
    const demo = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/integrations/demo', { token: secretKey });
    expect(demo.body.data).to.deep.include({ unique_key: 'demo', provider: 'custodian-demo' });
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
    expect(execFileSync('ps', ['-eo', 'args']).toString()).to.not.contain(dev.dataDir);
  });

  it('keeps the data on a second start: same secret key, the integration is still there; DEMO_PROVIDER=false leaves the demo out', async () => {
    run = startDev({ ...env, DEMO_PROVIDER: 'false' });
    const again = await run.ready;
    expect(again).to.equal(secretKey);
    const res = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/integrations/kept-across-restarts', { token: secretKey });
    expect(res.status).to.equal(200);
    expect(run.output()).to.not.contain('Demo:');
    // Piped output stays JSON: the start-up warning about the demo integration, whose provider is now outside the catalog.
    const warning = run.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.integration === 'demo');
    expect(warning).to.deep.include({ level: 40, environment: 'dev', integration: 'demo', provider: 'custodian-demo' });
    const providers = await http(`http://127.0.0.1:${env.PORT}`, 'GET', '/providers', { token: secretKey });
    expect(providers.body.data.map((p: { name: string }) => p.name)).to.not.include('custodian-demo');
    run.child.kill('SIGTERM');
    expect(await run.exited).to.equal(0);
  });
});
