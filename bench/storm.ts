/**
 * `storm`: STORM_CONNECTIONS (default 2,000) OAuth 2.0 connections due at once, imported through
 * ConnectionService.importConnection (the row, the operation log, the workflow's signal-with-start, the
 * webhook outbox: what `POST /connections` does, without HTTP) with no worker running; then one worker
 * process from dist/ in production mode, against a fake provider answering each refresh in 100 ms.
 * Measured: refreshes per second from the worker's start until every row holds refreshed credentials.
 * Baseline, on the same dev server: as many one-activity workflows (a 100 ms activity) started with no
 * worker running, then one worker with the SDK's defaults, until every one completed. STORM_ROUNDS
 * (default 3) alternating rounds, each on a fresh database and task queue; the medians are compared.
 * WORKER_* variables in the bench's environment are passed on to Custodian's worker.
 */
import { startDevServer, type DevServer } from './support/dev-server';
import { RssSampler } from './support/process-memory';
import { buildOnce, inParallel, startCustodianStack, waitFor, workerTuningFromEnvironment } from './support/custodian-stack';
import { startBaselineWorker } from './support/baseline';
import { obtainTokens } from '../test/support/lifecycle';
import type { HistoryEvent } from '../test/support/workflow-history';
import { connectionWorkflowId } from '../workflows/connection-messages';
import { historyCost } from './history-cost';

const CONNECTIONS = Number(process.env.STORM_CONNECTIONS ?? 2_000);
/** Alternating rounds (baseline, then Custodian); the medians are compared. */
const ROUNDS = Number(process.env.STORM_ROUNDS ?? 3);
const PROVIDER_LATENCY_MS = 100;
/** Imports (and baseline starts) sent at once. */
const SETUP_CONCURRENCY = 32;
/** Imported tokens expire inside the default 15-minute margin: every workflow refreshes as soon as it runs. */
const DUE_IN_MS = 10 * 60_000;
const TIMEOUT_MS = 30 * 60_000;

interface Rate {
  seconds: number;
  perSecond: number;
  /** What else the round measured (worker memory, history per connection). */
  note?: string;
}

export async function stormBenchmark(): Promise<void> {
  if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) throw new Error(`STORM_CONNECTIONS must be a positive whole number (got ${process.env.STORM_CONNECTIONS})`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`STORM_ROUNDS must be a positive whole number (got ${process.env.STORM_ROUNDS})`);
  buildOnce();
  const temporal = await startDevServer();
  const tuning = Object.entries(workerTuningFromEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ') || 'default worker settings';
  const baselines: Rate[] = [];
  const storms: Rate[] = [];
  try {
    // Alternating rounds, baseline first, so that neither side gets the quieter machine.
    for (let round = 1; round <= ROUNDS; round++) {
      const baseline = await baselineRun(temporal);
      baselines.push(baseline);
      console.log(`round ${round}: one-activity workflows ${describe(baseline)}`);
      const storm = await custodianRun(temporal);
      storms.push(storm);
      console.log(`round ${round}: Custodian refresh storm ${describe(storm)}; ratio ${(storm.perSecond / baseline.perSecond).toFixed(2)}x`);
    }
  } finally {
    await temporal.close();
  }
  const [baseline, storm] = [median(baselines.map((r) => r.perSecond)), median(storms.map((r) => r.perSecond))];
  console.log(`one-activity workflows (${PROVIDER_LATENCY_MS} ms activity, SDK defaults): ${baseline.toFixed(1)}/s`);
  console.log(`Custodian refresh storm (${PROVIDER_LATENCY_MS} ms provider, ${tuning}): ${storm.toFixed(1)} refreshes/s`);
  console.log(`ratio: ${(storm / baseline).toFixed(2)}x the baseline rate (${CONNECTIONS} each, one worker process, one dev server; medians of ${ROUNDS} alternating rounds)`);
}

function describe(rate: Rate): string {
  return `${CONNECTIONS} in ${rate.seconds.toFixed(1)} s = ${rate.perSecond.toFixed(1)}/s${rate.note ? ` (${rate.note})` : ''}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function baselineRun(temporal: DevServer): Promise<Rate> {
  const baseline = await startBaselineWorker(temporal);
  try {
    await inParallel(CONNECTIONS, SETUP_CONCURRENCY, (i) => baseline.start(i, PROVIDER_LATENCY_MS));
    const worker = await baseline.runWorker();
    const started = performance.now();
    const done = await waitFor(async () => (await baseline.completed()) >= CONNECTIONS, { timeoutMs: TIMEOUT_MS, what: 'baseline workflows completed' });
    await worker.stop();
    const seconds = (done - started) / 1000;
    return { seconds, perSecond: CONNECTIONS / seconds, note: `one workflow's history: ${describeHistory(await baseline.history(0))}` };
  } finally {
    await baseline.close();
  }
}

async function custodianRun(temporal: DevServer): Promise<Rate> {
  const stack = await startCustodianStack({ temporal });
  try {
    const { provider, service, scope, api } = stack;
    // Connection ids of this round only: an earlier round's workflows (same environment and integration names) still run.
    const prefix = `storm-${stack.taskQueue.slice(-8)}`;
    const importStarted = performance.now();
    await inParallel(CONNECTIONS, SETUP_CONCURRENCY, async (i) => {
      const tokens = await obtainTokens(provider);
      const expiresAt = new Date(Date.now() + DUE_IN_MS);
      await service.importConnection(scope, {
        connectionId: `${prefix}-${i}`,
        credentials: { type: 'OAUTH2', access_token: String(tokens.access_token), refresh_token: String(tokens.refresh_token), expires_at: expiresAt.toISOString(), raw: {} },
        expiresAt,
      });
    });
    const importSeconds = (performance.now() - importStarted) / 1000;
    provider.knobs.latencyMs = PROVIDER_LATENCY_MS;
    const refreshed = async () =>
      Number(((await api.deps.db.query('SELECT count(*) AS n FROM connection WHERE environment_id = $1 AND credentials_version > 1', [scope.environment.id])) as Array<{ n: string }>)[0]!.n);
    // Every due connection is renewed, read or not (by-use would leave these, never read, to their keep-alive).
    const worker = await stack.startWorker({ REFRESH_POLICY: 'always' });
    const started = performance.now();
    const memory = new RssSampler(worker.child.pid!);
    const done = await waitFor(async () => (await refreshed()) >= CONNECTIONS, { timeoutMs: TIMEOUT_MS, what: 'connections refreshed' });
    const { peakMiB } = memory.stop();
    const calls = provider.tokenCalls('refresh_token');
    const answered = calls.filter((call) => call.status === 200).length;
    if (answered !== CONNECTIONS) console.log(`note: the provider answered ${answered} refresh calls with 200 for ${CONNECTIONS} connections (${calls.length} calls in all)`);
    const seconds = (done - started) / 1000;
    const perConnection = describeHistory((await stack.client.workflow.getHandle(connectionWorkflowId(scope.environment.name, scope.integration.uniqueKey, `${prefix}-0`)).fetchHistory()).events ?? []);
    return { seconds, perSecond: CONNECTIONS / seconds, note: `imported in ${importSeconds.toFixed(1)} s; worker RSS peak ${peakMiB.toFixed(0)} MiB; the first connection's history: ${perConnection}` };
  } finally {
    await stack.close();
  }
}

/** Events, workflow tasks, activities and billable actions of one history, for the round's note. */
function describeHistory(events: readonly HistoryEvent[]): string {
  const cost = historyCost(events);
  const tasks = events.filter((event) => event.workflowTaskCompletedEventAttributes != null).length;
  const activities = Object.entries(cost.activities).map(([name, n]) => `${name}×${n}`).join(', ');
  return `${cost.events} events, ${tasks} workflow tasks, ${cost.actions} billable actions, activities ${activities}`;
}
