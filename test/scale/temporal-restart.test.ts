import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditHistories } from '../support/history-audit';
import type { HttpResult } from '../support/http';
import { ALWAYS_REFRESH } from '../support/refresh-policy';
import { ProductionTopology, type TopologyConnection } from '../support/production-topology';
import { restartableStore, restartableTemporal, type RestartableTemporal } from '../support/temporal-server-process';

/** Connections refreshing all along; their schedules must survive the restart. */
const CYCLING = 40;
/**
 * REFRESH_MARGIN of the processes and the tokens' lifetime: each connection is refreshed every 9–15 s
 * (lifetime − margin − its jitter, at most margin / 10), and a token stays valid a minute past the moment
 * it became due, longer than the outage: no read ever needs an expired token refreshed.
 */
const MARGIN_S = 60;
const TOKEN_LIFETIME_S = 75;
/** A connection whose token is far from due: reading it needs only PostgreSQL. */
const FRESH_FOR_MS = 3_600_000;
const READERS = 4;
const WAIT_TIMEOUT_MS = 90_000;
const POLL_MS = 250;

const STORE = restartableStore() === 'postgres' ? 'the Temporal server on PostgreSQL' : 'the CLI dev server on a SQLite file';

/**
 * Scale-out (issue 13): the Temporal server restarted under load with a persistent store (the Temporal
 * server on PostgreSQL when scripts/toolchain.sh built it, else the CLI dev server on a SQLite file), an
 * API and a worker process in production mode on PostgreSQL.
 * Connections keep their schedules across the restart; while it is down the API answers 503
 * temporal_unavailable only where it needs Temporal, and it recovers by itself.
 */
describe(`scale-out: the Temporal server restarted under load (${STORE}, PostgreSQL, production processes)`, function () {
  this.timeout(300_000);
  let dir: string;
  let server: RestartableTemporal;
  let topology: ProductionTopology;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-temporal-restart-'));
    server = await restartableTemporal(dir);
    await server.start();
    topology = await ProductionTopology.start({ temporalAddress: server.address, apis: 1, env: { REFRESH_MARGIN: `${MARGIN_S}s`, WORKFLOW_START_RETRY_INTERVAL: '2s', ...ALWAYS_REFRESH } });
  });
  after(async () => {
    await topology?.close();
    // The audit needs the server; a failed restart leaves none to ask.
    if (server) {
      await server.start().catch(() => undefined);
      const connection = await Connection.connect({ address: server.address }).catch(() => undefined);
      try {
        if (connection) {
          const audit = await auditHistories(new Client({ connection }));
          expect(audit.hits, 'secrets in workflow histories').to.deep.equal([]);
        }
      } finally {
        await connection?.close();
        await server.close();
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every schedule across the restart, answers 503 temporal_unavailable only to what needs Temporal, and recovers', async () => {
    const { provider } = topology;
    const [api] = topology.apis;
    const started = performance.now();
    const phases: string[] = [];
    const mark = (name: string) => phases.push(`${name} +${((performance.now() - started) / 1000).toFixed(1)} s`);
    provider.knobs.expiresIn = TOKEN_LIFETIME_S;
    await topology.startWorker();
    const cycling = await topology.importMany('cycling', CYCLING, () => new Date(Date.now() + TOKEN_LIFETIME_S * 1000));
    const [fresh] = await topology.importMany('fresh', 1, () => new Date(Date.now() + FRESH_FOR_MS));
    const temporal = new Client({ connection: await Connection.connect({ address: server.address }) });
    const runIds = new Map<string, string>();
    for (const c of [...cycling, fresh!]) runIds.set(c.connectionId, (await temporal.workflow.getHandle(topology.workflowId(c.connectionId)).describe()).runId);
    await temporal.connection.close();

    // Under load: readers all along, and every cycling connection refreshed once before the stop.
    let down = false;
    const reading = topology.startReaders([...cycling, fresh!], { perApi: READERS, during: () => down });
    await waitForVersions(topology, cycling, () => 2);
    const versionsAtStop = new Map((await topology.rows(cycling)).map((row) => [row.id, row.credentialsVersion]));

    mark('refreshed once');
    down = true;
    await server.stop();
    mark('Temporal stopped');
    const freshRead = await topology.read(api!, fresh!.connectionId);
    const [forced, imported, ready] = await Promise.all([
      topology.read(api!, fresh!.connectionId, { forceRefresh: true }),
      topology.importConnection(api!, 'during-outage', new Date(Date.now() + FRESH_FOR_MS)),
      fetchJson(`${api!.url}/health/ready`),
    ]);
    mark('503s answered');
    await server.start();
    down = false;
    mark('Temporal serving again');

    // While it was down: PostgreSQL alone served the fresh token; what needed Temporal got 503 temporal_unavailable.
    expect(freshRead.status, JSON.stringify(freshRead.body)).to.equal(200);
    expect(provider.isAccessTokenValid(freshRead.body.credentials.access_token), 'the fresh token served during the outage').to.equal(true);
    for (const [what, answer] of [['a forced refresh', forced], ['an import', imported.result]] as const) {
      expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).to.equal(503);
      expect(answer.body.error.code, what).to.equal('temporal_unavailable');
      expect(answer.headers.get('retry-after'), what).to.not.equal(null);
    }
    expect(ready.status, '/health/ready during the outage').to.equal(503);
    expect(ready.body.error.payload.checks, '/health/ready checks during the outage').to.deep.equal({ database: 'ok', temporal: 'unreachable' });

    // After the restart: the same runs, every timer kept, every cycling connection refreshed again by its schedule.
    const refreshedAgain = await waitForVersions(topology, cycling, (row) => versionsAtStop.get(row)! + 1);
    mark('refreshed after the restart');
    expect(refreshedAgain, `every cycling connection refreshed after the restart\n${topology.outputs()}`).to.equal(true);
    // The import that got 503 has its workflow without being repeated: the worker's retrier started it.
    expect(await workflowRunning(server.address, topology.workflowId('during-outage'), 60_000), 'the workflow of the import answered 503, started by the worker').to.equal(true);
    mark('the failed import\'s workflow started by the worker');
    const retried = await topology.importConnection(api!, 'during-outage', new Date(Date.now() + FRESH_FOR_MS));
    expect(retried.result.status, `the import retried after the restart: ${JSON.stringify(retried.result.body)}`).to.be.oneOf([200, 201]);
    const forcedAfter = await topology.read(api!, fresh!.connectionId, { forceRefresh: true });
    expect(forcedAfter.status, `a forced refresh after the restart: ${JSON.stringify(forcedAfter.body)}`).to.equal(200);
    expect(provider.isAccessTokenValid(forcedAfter.body.credentials.access_token)).to.equal(true);
    const reads = await reading.stop();

    const after = new Client({ connection: await Connection.connect({ address: server.address }) });
    try {
      for (const c of [...cycling, fresh!]) {
        const description = await after.workflow.getHandle(topology.workflowId(c.connectionId)).describe();
        expect({ status: description.status.name, runId: description.runId }, c.connectionId).to.deep.equal({ status: 'RUNNING', runId: runIds.get(c.connectionId) });
      }
      const outageImport = await after.workflow.getHandle(topology.workflowId('during-outage')).describe();
      expect(outageImport.status.name, 'the workflow of the connection imported again after the outage').to.equal('RUNNING');
    } finally {
      await after.connection.close();
    }
    const rows = await topology.rows(cycling);
    expect(rows.filter((row) => row.status !== 'active').map((row) => `${row.connectionId}: ${row.status} ${row.lastRefreshFailureReason}`), 'rows not active').to.deep.equal([]);
    expect([...topology.apis.map((a) => a.process), ...topology.workers].map((p) => `${p.role}: ${p.alive()}`), 'the processes rode out the outage').to.deep.equal(['api: true', 'worker: true']);

    expect(topology.processesPrintingSecrets(), 'processes that printed a token or secret').to.deep.equal([]);

    // Every read, during the outage too, got a token the provider accepts.
    console.log(`      ${reads.length} reads, ${reads.filter((r) => r.during).length} of them during the outage; ${provider.tokenCalls('refresh_token').length} refresh calls; ${phases.join(', ')}`);
    expect(reads.filter((r) => r.during).length, 'reads during the outage').to.be.above(0);
    expect(reads.filter((r) => r.status !== 200 || !r.valid).map((r) => `${r.connectionId}: ${r.status}${r.during ? ' (during the outage)' : ''}`), 'reads without a valid token').to.deep.equal([]);
  });
});

/** Waits until every connection's credentials_version reached `target(rowId)`; false at the deadline. */
async function waitForVersions(topology: ProductionTopology, connections: readonly TopologyConnection[], target: (rowId: string) => number): Promise<boolean> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const rows = await topology.rows(connections);
    if (rows.length === connections.length && rows.every((row) => row.credentialsVersion >= target(row.id))) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return false;
}

async function fetchJson(url: string): Promise<HttpResult> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Whether the workflow is running within `withinMs` (polled). */
async function workflowRunning(address: string, workflowId: string, withinMs: number): Promise<boolean> {
  const client = new Client({ connection: await Connection.connect({ address }) });
  try {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const status = await client.workflow.getHandle(workflowId).describe().then((d) => d.status.name, () => null);
      if (status === 'RUNNING') return true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return false;
  } finally {
    await client.connection.close();
  }
}
