import { expect } from 'chai';
import { connectionRow, operationLog, useLifecycleSuite } from './lifecycle-suite';
import { stateQuery } from '../../workflows/connection-messages';
import { app } from '../../providers/auth-modes/app';
import { custom } from '../../providers/auth-modes/custom';
import { nangoEntrySchema, type ProviderEntry } from '../../providers/catalog-schema';
import type { CustomCredentials } from '../../providers/credentials';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { githubAppEntry, githubCustomEntry, mountGithubApp, type FakeGithubApp } from '../support/fake-modes/github-app';
import type { Lifecycle } from '../support/lifecycle';

/** Mounts a fake GitHub App on the suite's provider and gives the suite's integration its app (id, link, key, OAuth client). */
async function withGithubApp(rig: Lifecycle): Promise<FakeGithubApp> {
  const github = mountGithubApp(rig.provider, { callbackUrl: 'http://127.0.0.1/callback' });
  const settings = github.integrationSettings();
  await new IntegrationStore(rig.db, rig.cipher).update(rig.integration, { ...settings, clientId: github.knobs.clientId, clientSecret: github.knobs.clientSecret });
  return github;
}

describe('upkeep per auth mode: APP re-mints its installation token before each hour is up (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ entry: (url) => githubAppEntry(url) });
  let github: FakeGithubApp;
  before(async () => {
    github = await withGithubApp(s.rig);
  });

  it('mints the first token of an import at once, then another before each one expires, every JWT valid', async () => {
    const { rig, env } = s;
    const installationId = github.addInstallation();
    const credentials = app.fromImport({ type: 'APP', app_id: github.appId, installation_id: installationId }, new Date());
    const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId: 'app-upkeep', credentials, expiresAt: app.expiresAt(credentials) });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('3 hours');
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    const mints = github.tokenCalls(installationId);
    // One at once, then one per ~45 minutes (1-hour tokens, 15-minute margin).
    expect(mints.length).to.be.within(4, 6);
    expect(mints.every((call) => call.status === 201)).to.equal(true);
    expect(github.jwtVerdicts.every((verdict) => verdict === 'valid')).to.equal(true);
    const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
    expect(stored.type === 'APP' && github.isTokenValid(stored.access_token) && stored.access_token === github.issuedTokens.at(-1)).to.equal(true);
    expect(state.status).to.equal('active');
    expect(Date.parse(state.expiresAt!) - Date.parse(state.lastRefreshAt!)).to.be.within(59 * 60_000, 61 * 60_000);
  });

  it('turns the connection invalid when the app is uninstalled (404 app_installation_not_found) and stops minting', async () => {
    const { rig, env } = s;
    const installationId = github.addInstallation();
    const credentials = app.fromImport({ installation_id: installationId }, new Date());
    const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId: 'app-uninstalled', credentials, expiresAt: app.expiresAt(credentials) });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('30 minutes');
    github.installations.delete(installationId);
    await env.sleep('2 hours');
    const state = await env.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state).to.include({ status: 'invalid', lastErrorCode: 'app_installation_not_found' });
    const calls = github.tokenCalls(installationId).length;
    await env.sleep('3 hours');
    expect(github.tokenCalls(installationId), 'no mint once invalid').to.have.length(calls);
    expect((await operationLog(rig, row.id)).some((line) => line.level === 'error')).to.equal(true);
  });
});

describe('upkeep per auth mode: CUSTOM re-mints hourly and refreshes the user token only when due (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ entry: (url) => githubCustomEntry(url) });
  let github: FakeGithubApp;
  let entry: ProviderEntry;
  before(async () => {
    github = await withGithubApp(s.rig);
    github.knobs.requestUserAuthorization = true;
    entry = nangoEntrySchema.parse(githubCustomEntry(s.rig.provider.url)) as ProviderEntry;
  });

  it('over 10 hours: an installation token per ~45 minutes, the 8-hour user token refreshed once with its rotating refresh token', async () => {
    const { rig, env } = s;
    // The installation with user authorization, completed by the strategy as the authorization workflow would.
    const page = await fetch(`${github.appLink}/installations/new?state=s`, { redirect: 'manual' });
    const received = Object.fromEntries(new URL(page.headers.get('location')!).searchParams);
    const client = { clientId: github.knobs.clientId, clientSecret: github.knobs.clientSecret, scopes: [], custom: { ...github.integrationSettings().custom, ...github.integrationSettings().customSecrets } };
    const obtained = await custom.complete({ entry, client, received, attemptSecrets: {}, redirectUri: 'http://127.0.0.1/callback', connectionConfig: {} }, { now: new Date(), timeoutMs: 10_000 });
    const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId: 'custom-upkeep', credentials: obtained.credentials, expiresAt: obtained.expiresAt, connectionConfig: obtained.connectionConfig });
    const { workflowId } = await rig.startWorkflow(row);
    await env.sleep('10 hours');
    const mints = github.tokenCalls(received.installation_id);
    // The completion's mint, then one per ~45 minutes.
    expect(mints.length).to.be.within(12, 16);
    const refreshes = github.userTokenCalls('refresh_token');
    expect(refreshes.map((call) => call.refreshTokenUsed)).to.deep.equal([obtained.credentials.user!.refresh_token]);
    const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id)) as CustomCredentials;
    expect(github.isTokenValid(stored.app.access_token)).to.equal(true);
    expect(github.isUserTokenValid(stored.user!.access_token)).to.equal(true);
    expect(stored.user!.refresh_token).to.not.equal(obtained.credentials.user!.refresh_token);
    expect((await env.client.workflow.getHandle(workflowId).query(stateQuery)).status).to.equal('active');
  });
});
