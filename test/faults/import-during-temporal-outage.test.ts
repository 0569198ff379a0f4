import { expect } from 'chai';
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConnectionWorkflows } from '../../src/connections/connection-workflows';
import { PendingWorkflowStarts } from '../../src/connections/pending-workflow-starts';
import { WorkflowStartRetrier } from '../../src/connections/workflow-start-retrier';
import { createLogger } from '../../src/logger';
import { connectionWorkflowId, type CredentialsStored } from '../../workflows/connection-messages';
import { startTestApi, type TestApi } from '../support/api-server';
import { freePort } from '../support/free-port';
import { http } from '../support/http';
import { DevServerOnSqlite } from '../support/temporal-server-process';
import { decodePayloads } from '../support/workflow-history';

/**
 * An import while Temporal is down stores the row and answers 503 `temporal_unavailable`; the row is
 * recorded as waiting for its workflow. Once Temporal answers, the worker's retrier starts that workflow
 * (signal-with-start naming the stored credentials version), whether or not the caller ever retries, and
 * forgets a connection deleted meanwhile without starting anything.
 */
describe('an import while Temporal is down: the worker starts its workflow once Temporal is back', function () {
  this.timeout(180_000);
  let dir: string;
  let temporal: DevServerOnSqlite;
  let apiConnection: Connection;
  let api: TestApi;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-import-outage-'));
    temporal = new DevServerOnSqlite(await freePort(), path.join(dir, 'temporal.sqlite'));
    // Nothing listens on the address yet: Temporal is down when the import arrives.
    apiConnection = Connection.lazy({ address: temporal.address });
    api = await startTestApi({ temporal: new Client({ connection: apiConnection }) });
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    await api.deps.integrations.create(environment.id, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 's3cr3t-client', scopes: [], forwardWebhooks: true });
  });
  after(async () => {
    await api?.close();
    await apiConnection?.close();
    await temporal?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 and keeps the row; the retrier starts its workflow once Temporal is up, and forgets a deleted connection', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const credentials = { type: 'OAUTH2', access_token: 'at-outage-1', refresh_token: 'rt-outage-1', expires_at: expiresAt };
    // Two imports fail the same way (at once: each waits out the client's retries); the second's connection is deleted before Temporal comes back.
    const [imported, deletedImport] = await Promise.all(
      ['during-outage', 'deleted-meanwhile'].map((connectionId) => http(api.url, 'POST', '/connections', { token: api.secretKey, body: { provider_config_key: 'gh', connection_id: connectionId, credentials } })),
    );
    expect(imported!.status).to.equal(503);
    expect(deletedImport!.status).to.equal(503);
    expect(imported!.body.error.code).to.equal('temporal_unavailable');
    const read = await http(api.url, 'GET', '/connections/during-outage?provider_config_key=gh', { token: api.secretKey });
    expect(read.status, 'the row was stored; a fresh token is served without Temporal').to.equal(200);
    expect(read.body.credentials.access_token).to.equal('at-outage-1');

    const pending = new PendingWorkflowStarts(api.deps.db);
    const waiting = await pending.oldest(10);
    expect(waiting.map((p) => p.ref.connection.connectionId).sort()).to.deep.equal(['deleted-meanwhile', 'during-outage']);
    const rowId = waiting.find((p) => p.ref.connection.connectionId === 'during-outage')!.ref.connection.id;
    await api.deps.db.query(`UPDATE connection SET deleted_at = now(), credentials_encrypted = NULL WHERE connection_id = 'deleted-meanwhile'`);

    await temporal.start();
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection });
      const retrier = new WorkflowStartRetrier({ pending, workflows: new ConnectionWorkflows(client, api.deps.config.temporal.taskQueue), logger: createLogger('silent'), intervalMs: 500 });
      retrier.start();
      const deadline = Date.now() + 60_000;
      while ((await pending.oldest(10)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      await retrier.stop();
      expect(await pending.oldest(10), 'nothing left waiting').to.deep.equal([]);

      const handle = client.workflow.getHandle(connectionWorkflowId('dev', 'gh', 'during-outage'));
      expect((await handle.describe()).status.name).to.equal('RUNNING');
      const events = (await handle.fetchHistory()).events ?? [];
      const started = events[0]!.workflowExecutionStartedEventAttributes!;
      expect((decodePayloads(started.input)[0] as { connectionRowId: string }).connectionRowId).to.equal(rowId);
      const signal = events.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes!;
      expect(signal.signalName).to.equal('credentialsReplaced');
      expect(decodePayloads(signal.input)[0] as CredentialsStored).to.deep.equal({ connectionRowId: rowId, credentialsVersion: 1 });

      const gone = await client.workflow.getHandle(connectionWorkflowId('dev', 'gh', 'deleted-meanwhile')).describe().then(
        () => 'found',
        (error: Error) => error.name,
      );
      expect(gone, 'no workflow for the connection deleted meanwhile').to.equal('WorkflowNotFoundError');
    } finally {
      await connection.close();
    }
  });
});
