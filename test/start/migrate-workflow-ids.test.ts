import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ConnectionEntity } from '../../src/db/entities';
import { createLogger } from '../../src/logger';
import { migrateWorkflowIds, type WorkflowIdMigrationReport } from '../../src/start/migrate-workflow-ids';
import { connectionWorkflowId, legacyConnectionWorkflowId } from '../../workflows/connection-identity';
import { refreshUpdate } from '../../workflows/connection-messages';
import { realDelay, waitForState } from '../lifecycle/lifecycle-suite';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { http } from '../support/http';
import { FAKE_PROVIDER, obtainTokens } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';
import { decodePayloads } from '../support/workflow-history';

function sorted(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

interface Row {
  name: string;
  integration: string;
  connectionId: string;
  rowId: string;
  refreshToken: string;
  /** The legacy-id run started for it, if any. */
  legacy?: { workflowId: string; runId: string };
}

describe('migrateWorkflowIds: connection workflows move from legacy ids to encoded ids (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  const rows = new Map<string, Row>();
  const row = (name: string) => rows.get(name)!;
  const newId = (r: Row) => connectionWorkflowId('dev', r.integration, r.connectionId);
  const migrate = (pageSize?: number) =>
    migrateWorkflowIds({ db: rig.api.deps.db, client: env.client, taskQueue: rig.api.deps.config.temporal.taskQueue, logger: createLogger('silent'), pageSize });

  /** Imports through the API (which starts the new-id workflow), the state every row is in after the upgrade. */
  async function importRow(name: string, integration: string, connectionId: string): Promise<Row> {
    const tokens = await obtainTokens(rig.provider);
    const response = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: {
        provider_config_key: integration,
        connection_id: connectionId,
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
      },
    });
    expect(response.status).to.equal(201);
    const imported: Row = { name, integration, connectionId, rowId: response.body.id as string, refreshToken: tokens.refresh_token as string };
    rows.set(name, imported);
    return imported;
  }

  /** Puts a row back in the state the old code left: no new-id workflow, its workflow under the plain `:` join. */
  async function makeLegacy(r: Row): Promise<void> {
    await env.client.workflow.getHandle(newId(r)).terminate('test: back to the state before the upgrade');
    const workflowId = legacyConnectionWorkflowId('dev', r.integration, r.connectionId);
    const handle = await env.client.workflow.start('connectionWorkflow', { taskQueue: rig.api.deps.config.temporal.taskQueue, workflowId, args: [{ connectionRowId: r.rowId }] });
    r.legacy = { workflowId, runId: handle.firstExecutionRunId };
  }

  const forceRefresh = (r: Row) =>
    http(rig.api.url, 'GET', `/connections/${encodeURIComponent(r.connectionId)}?provider_config_key=${encodeURIComponent(r.integration)}&force_refresh=true`, { token: rig.api.secretKey });

  /**
   * Connection row of every running connection workflow, by workflow id. Visibility lags behind
   * starts and terminations: polled (10 s at most) until it shows `expected`; returns what it last saw.
   */
  async function runningWorkflows(expected: Record<string, string>): Promise<Record<string, string>> {
    let found: Record<string, string> = {};
    for (let i = 0; i < 100; i += 1) {
      found = {};
      for await (const execution of env.client.workflow.list({ query: `WorkflowType = 'connectionWorkflow' AND ExecutionStatus = 'Running'` })) {
        const events = (await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()).events ?? [];
        const [input] = decodePayloads(events[0]?.workflowExecutionStartedEventAttributes?.input) as [{ connectionRowId: string }];
        found[execution.workflowId] = input.connectionRowId;
      }
      if (JSON.stringify(sorted(found)) === JSON.stringify(sorted(expected))) break;
      await realDelay(100);
    }
    return found;
  }

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { knobs: { rotateRefreshTokens: true } });
    for (const key of ['a', 'a:b']) {
      const created = await http(rig.api.url, 'POST', '/integrations', {
        token: rig.api.secretKey,
        body: { provider: FAKE_PROVIDER, unique_key: key, credentials: { type: 'OAUTH2', client_id: rig.provider.knobs.clientId, client_secret: rig.provider.knobs.clientSecret } },
      });
      expect(created.status).to.equal(200);
    }
    await importRow('plain', 'fake', 'plain');
    await importRow('colon', 'fake', 'user:1');
    await importRow('x', 'a', 'b:c');
    await importRow('y', 'a:b', 'c');
    // Legacy id of "r" (fake, x%3Ay) is the new id of "s" (fake, x:y).
    await importRow('r', 'fake', 'x%3Ay');
    await importRow('s', 'fake', 'x:y');
    await makeLegacy(row('colon'));
    await makeLegacy(row('x'));
    // "y" shares x's legacy id: under the old code its messages went to x's workflow and it had none of its own.
    await env.client.workflow.getHandle(newId(row('y'))).terminate('test: back to the state before the upgrade');
    await makeLegacy(row('s'));
    await makeLegacy(row('r'));
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  it('does nothing once shutdown was signalled', async () => {
    const stop = new AbortController();
    stop.abort();
    const report = await migrateWorkflowIds({ db: rig.api.deps.db, client: env.client, taskQueue: rig.api.deps.config.temporal.taskQueue, logger: createLogger('silent'), signal: stop.signal });
    expect(report).to.deep.equal({ rows: 0, terminated: 0, started: 0, blocked: 0, failed: 0 } satisfies WorkflowIdMigrationReport);
    const legacy = row('colon').legacy!;
    expect((await env.client.workflow.getHandle(legacy.workflowId, legacy.runId).describe()).status.name).to.equal('RUNNING');
  });

  it('before the migration, a refresh of "x:y" is refused by the workflow of "x%3Ay" that holds its new id (503, no provider call, that row untouched)', async () => {
    const s = row('s');
    const r = row('r');
    expect(newId(s)).to.equal(r.legacy!.workflowId);
    const versionBefore = (await rig.api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ id: r.rowId })).credentialsVersion;
    const callsBefore = rig.provider.tokenCalls('refresh_token').length;
    const response = await forceRefresh(s);
    expect(response.status).to.equal(503);
    expect(response.headers.get('retry-after')).to.equal('5');
    expect(response.body).to.deep.equal({ error: { code: 'workflow_migration_pending', message: "This connection's workflow is being migrated; retry in a moment" } });
    expect(rig.provider.tokenCalls('refresh_token').length).to.equal(callsBefore);
    expect((await rig.api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ id: r.rowId })).credentialsVersion).to.equal(versionBefore);
  });

  it('terminates each legacy workflow of its own row, starts every changed row under its new id, and leaves exactly one running workflow per connection (pages of 2 rows)', async () => {
    // Small pages: "r" and "s" may land on different pages, and "s" waits for "r"'s legacy workflow to go.
    const report = await migrate(2);
    expect(report).to.deep.equal({ rows: 5, terminated: 4, started: 5, blocked: 0, failed: 0 } satisfies WorkflowIdMigrationReport);

    const expected: Record<string, string> = {};
    for (const r of rows.values()) expected[newId(r)] = r.rowId;
    expect(await runningWorkflows(expected)).to.deep.equal(expected);

    for (const name of ['colon', 'x', 's', 'r']) {
      const legacy = row(name).legacy!;
      const handle = env.client.workflow.getHandle(legacy.workflowId, legacy.runId);
      expect((await handle.describe()).status.name, name).to.equal('TERMINATED');
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason, name).to.equal(`migrated to workflow id ${newId(row(name))}`);
    }
  });

  it('afterwards a forced refresh of each migrated connection sends its own refresh token and succeeds', async () => {
    for (const name of ['colon', 'x', 'y', 'r', 's']) {
      const r = row(name);
      const response = await forceRefresh(r);
      expect(response.status, name).to.equal(200);
      expect(response.body.id, name).to.equal(r.rowId);
      expect(rig.provider.tokenCalls('refresh_token').at(-1)?.refreshTokenUsed, name).to.equal(r.refreshToken);
      expect(rig.provider.isAccessTokenValid(response.body.credentials.access_token as string), name).to.equal(true);
    }
  });

  it('a second run changes nothing: no workflow terminated or started, the same runs keep running', async () => {
    const runsBefore = await Promise.all([...rows.values()].map(async (r) => (await env.client.workflow.getHandle(newId(r)).describe()).runId));
    const report = await migrate();
    expect(report).to.deep.equal({ rows: 5, terminated: 0, started: 0, blocked: 0, failed: 0 } satisfies WorkflowIdMigrationReport);
    const runsAfter = await Promise.all([...rows.values()].map(async (r) => (await env.client.workflow.getHandle(newId(r)).describe()).runId));
    expect(runsAfter).to.deep.equal(runsBefore);
  });

  it('two workers migrating at once terminate a legacy workflow once and leave one workflow under the new id', async () => {
    const late = await importRow('late', 'fake', 'late:1');
    await makeLegacy(late);
    const reports = await Promise.all([migrate(), migrate()]);
    expect(reports.map((r) => r.terminated).sort()).to.deep.equal([0, 1]);
    expect(reports.every((r) => r.failed === 0 && r.blocked === 0)).to.equal(true);
    const handle = env.client.workflow.getHandle(late.legacy!.workflowId, late.legacy!.runId);
    expect((await handle.describe()).status.name).to.equal('TERMINATED');
    const expected: Record<string, string> = {};
    for (const r of rows.values()) expected[newId(r)] = r.rowId;
    expect(await runningWorkflows(expected)).to.deep.equal(expected);
  });

  it('lets a refresh in flight on a legacy workflow finish before terminating it (the provider answers, the rotated token is kept)', async () => {
    const busy = await importRow('busy', 'fake', 'busy:1');
    await makeLegacy(busy);
    const legacy = env.client.workflow.getHandle(busy.legacy!.workflowId, busy.legacy!.runId);
    for (let i = 0; i < 100 && (await waitForState(legacy)).expiresAt === null; i += 1) await realDelay(50);
    Object.assign(rig.provider.knobs, { latencyMs: 1_500, cancelOnClientDisconnect: true });
    const callsBefore = rig.provider.tokenCalls('refresh_token').length;
    const inFlight = legacy.executeUpdate(refreshUpdate);
    for (let i = 0; i < 250 && rig.provider.tokenCalls('refresh_token').length === callsBefore; i += 1) await realDelay(20);
    expect(rig.provider.tokenCalls('refresh_token').length, 'the refresh reached the provider before the migration').to.equal(callsBefore + 1);
    const report = await migrate();
    Object.assign(rig.provider.knobs, { latencyMs: 0, cancelOnClientDisconnect: false });
    expect(report.terminated).to.equal(1);
    expect((await inFlight).errorCode).to.equal(null);
    expect((await legacy.describe()).status.name).to.equal('TERMINATED');
    const refreshed = await forceRefresh(busy);
    expect(refreshed.status).to.equal(200);
    expect(rig.provider.tokenCalls('refresh_token').slice(callsBefore).map((call) => call.status)).to.deep.equal([200, 200]);
  });
});
