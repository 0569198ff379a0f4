/**
 * `sleeping`: SLEEPING_CONNECTIONS (default 100,000) connection workflows sleeping on one dev server
 * with one worker process (dist/, production mode). Set-up, with the worker already running: each
 * connection's row stored by ConnectionStore.importConnection (what an import stores, encrypted, without
 * the HTTP request, the operation log line and the webhook) and its workflow started by the client with
 * the options the API uses, 64 at a time; it is asleep once its first task published its search attributes.
 * Then a few connections with real 20-second tokens (REFRESH_MARGIN=10s, REFRESH_POLICY=always on the worker) are driven
 * through refresh cycles among the sleepers, and the events and billable actions between two of their
 * refreshes are read from their histories.
 */
import { connectionWorkflowStartOptions } from '../src/connections/connection-workflows';
import type { Credentials } from '../src/connections/credentials';
import { obtainTokens } from '../test/support/lifecycle';
import { RssSampler, rssMiB } from './support/process-memory';
import { inParallel, startCustodianStack, waitFor, workerTuningFromEnvironment, type CustodianStack } from './support/custodian-stack';
import { refreshCycles, type CycleCost } from './support/refresh-cycles';

const CONNECTIONS = Number(process.env.SLEEPING_CONNECTIONS ?? 100_000);
/** Connections driven through refresh cycles. */
const CYCLING = 5;
/** Refreshes each cycling connection goes through: the first follows its start, the others are steady state. */
const REFRESHES = 4;
const TOKEN_LIFETIME_S = 20;
const SETUP_CONCURRENCY = 64;
const SETUP_TIMEOUT_MS = 3 * 3_600_000;

export async function sleepingBenchmark(): Promise<void> {
  if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) throw new Error(`SLEEPING_CONNECTIONS must be a positive whole number (got ${process.env.SLEEPING_CONNECTIONS})`);
  const stack = await startCustodianStack({ knobs: { expiresIn: TOKEN_LIFETIME_S } });
  try {
    // always: the cycling connections are renewed without being read (by-use leaves unread connections to their keep-alive).
    const worker = await stack.startWorker({ REFRESH_MARGIN: '10s', REFRESH_POLICY: 'always' });
    const workerMemory = new RssSampler(worker.child.pid!);
    const temporalMemory = new RssSampler(stack.temporal.pid);
    const setUp = await setUpSleepers(stack);
    console.log(`set-up of ${CONNECTIONS} sleeping connections: rows and workflow starts ${setUp.startedSeconds.toFixed(0)} s, all asleep after ${setUp.asleepSeconds.toFixed(0)} s (${(CONNECTIONS / setUp.asleepSeconds).toFixed(0)}/s)`);
    const cycles = await driveCycles(stack);
    const worst = (pick: (cycle: CycleCost) => number) => Math.max(...cycles.map(pick));
    const mean = (pick: (cycle: CycleCost) => number) => cycles.reduce((sum, cycle) => sum + pick(cycle), 0) / cycles.length;
    const [workerNow, temporalNow] = [rssMiB(worker.child.pid!), rssMiB(stack.temporal.pid)];
    const [workerPeak, temporalPeak] = [workerMemory.stop().peakMiB, temporalMemory.stop().peakMiB];
    const tuning = Object.entries(workerTuningFromEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ') || 'default worker settings';
    console.log(`worker RSS (${tuning}): ${workerNow.toFixed(0)} MiB with ${CONNECTIONS} asleep (peak ${workerPeak.toFixed(0)} MiB during the set-up)`);
    console.log(`Temporal dev server RSS: ${temporalNow.toFixed(0)} MiB (peak ${temporalPeak.toFixed(0)} MiB)`);
    console.log(
      `per steady-state refresh cycle (${cycles.length} cycles of ${CYCLING} connections): ${mean((c) => c.events).toFixed(1)} history events (at most ${worst((c) => c.events)}), ` +
        `${mean((c) => c.billableActions).toFixed(1)} billable actions (at most ${worst((c) => c.billableActions)})`,
    );
  } finally {
    await stack.close();
  }
}

/** Stores the rows and starts the workflows (the worker runs meanwhile); resolves once every one has published its search attributes. */
async function setUpSleepers(stack: CustodianStack): Promise<{ startedSeconds: number; asleepSeconds: number }> {
  const { api, scope, client, taskQueue } = stack;
  const started = performance.now();
  const expiresAt = new Date(Date.now() + 24 * 3_600_000);
  let progressAt = started;
  await inParallel(CONNECTIONS, SETUP_CONCURRENCY, async (i) => {
    // Never presented to the provider: these connections sleep through the benchmark.
    const credentials: Credentials = { type: 'OAUTH2', access_token: `sleeping-at-${i}`, refresh_token: `sleeping-rt-${i}`, expires_at: expiresAt.toISOString(), raw: {} };
    const { row } = await api.deps.connections.importConnection({ environmentId: scope.environment.id, integrationId: scope.integration.id, connectionId: `sleeping-${i}`, credentials, expiresAt });
    await client.workflow.start('connectionWorkflow', connectionWorkflowStartOptions({ ...scope, connection: row }, taskQueue));
    if (performance.now() - progressAt > 30_000) {
      progressAt = performance.now();
      console.log(`  … ${i} started after ${((progressAt - started) / 1000).toFixed(0)} s`);
    }
  });
  const startedSeconds = (performance.now() - started) / 1000;
  const asleep = await waitFor(async () => (await client.workflow.count(`TaskQueue = "${taskQueue}" AND CustodianStatus = "active"`)).count >= CONNECTIONS, {
    timeoutMs: SETUP_TIMEOUT_MS,
    everyMs: 1_000,
    what: 'every sleeping workflow published its search attributes',
  });
  return { startedSeconds, asleepSeconds: (asleep - started) / 1000 };
}

/** Imports CYCLING connections whose tokens the provider refreshes every TOKEN_LIFETIME_S, waits for REFRESHES refreshes each, and reads their cycles. */
async function driveCycles(stack: CustodianStack): Promise<CycleCost[]> {
  const { api, scope, client, taskQueue, provider } = stack;
  const handles = [];
  for (let i = 0; i < CYCLING; i++) {
    const tokens = await obtainTokens(provider);
    const expiresAt = new Date(Date.now() + 12_000);
    const credentials: Credentials = { type: 'OAUTH2', access_token: String(tokens.access_token), refresh_token: String(tokens.refresh_token), expires_at: expiresAt.toISOString(), raw: {} };
    const { row } = await api.deps.connections.importConnection({ environmentId: scope.environment.id, integrationId: scope.integration.id, connectionId: `cycling-${i}`, credentials, expiresAt });
    handles.push(await client.workflow.start('connectionWorkflow', connectionWorkflowStartOptions({ ...scope, connection: row }, taskQueue)));
  }
  await waitFor(async () => provider.tokenCalls('refresh_token').filter((call) => call.status === 200).length >= CYCLING * REFRESHES, {
    timeoutMs: (REFRESHES + 4) * TOKEN_LIFETIME_S * 1000,
    what: `${REFRESHES} refreshes of each cycling connection`,
  });
  const cycles: CycleCost[] = [];
  for (const handle of handles) cycles.push(...refreshCycles((await handle.fetchHistory()).events ?? []));
  if (cycles.length === 0) throw new Error('no complete refresh cycle in the cycling connections\' histories');
  return cycles;
}
