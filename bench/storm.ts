/**
 * `storm`: STORM_CONNECTIONS (default 2,000) OAuth 2.0 connections due at once, imported through
 * ConnectionService.importConnection (the row, the operation log, the workflow's signal-with-start, the
 * webhook outbox: what `POST /connections` does, without HTTP) with no worker running; then one worker
 * process from dist/ in production mode, against a fake provider answering each refresh in 100 ms.
 * Measured: refreshes per second from the worker's start until every row holds refreshed credentials.
 * Baseline, on the same dev server: as many one-activity workflows (a 100 ms activity) started with no
 * worker running, then one worker with the SDK's defaults, until every one completed.
 */
import { startDevServer, type DevServer } from './support/dev-server';
import { RssSampler } from './support/process-memory';
import { inParallel, startCustodianStack, waitFor, workerTuningFromEnvironment } from './support/custodian-stack';
import { startBaselineWorker } from './support/baseline';
import { obtainTokens } from '../test/support/lifecycle';

const CONNECTIONS = Number(process.env.STORM_CONNECTIONS ?? 2_000);
const PROVIDER_LATENCY_MS = 100;
/** Imports (and baseline starts) sent at once. */
const SETUP_CONCURRENCY = 32;
/** Imported tokens expire inside the default 15-minute margin: every workflow refreshes as soon as it runs. */
const DUE_IN_MS = 10 * 60_000;
const TIMEOUT_MS = 30 * 60_000;

interface Rate {
  seconds: number;
  perSecond: number;
}

export async function stormBenchmark(): Promise<void> {
  if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) throw new Error(`STORM_CONNECTIONS must be a positive whole number (got ${process.env.STORM_CONNECTIONS})`);
  const temporal = await startDevServer();
  try {
    const baseline = await baselineRun(temporal);
    console.log(`one-activity workflows (${PROVIDER_LATENCY_MS} ms activity, SDK defaults): ${CONNECTIONS} in ${baseline.seconds.toFixed(1)} s = ${baseline.perSecond.toFixed(1)}/s`);
    const custodian = await custodianRun(temporal);
    const tuning = Object.entries(workerTuningFromEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ') || 'default worker settings';
    console.log(`Custodian refresh storm (${PROVIDER_LATENCY_MS} ms provider, ${tuning}): ${CONNECTIONS} in ${custodian.seconds.toFixed(1)} s = ${custodian.perSecond.toFixed(1)} refreshes/s`);
    console.log(`ratio: ${(custodian.perSecond / baseline.perSecond).toFixed(2)}x the baseline rate (${CONNECTIONS} each, one worker process, one dev server)`);
  } finally {
    await temporal.close();
  }
}

async function baselineRun(temporal: DevServer): Promise<Rate> {
  const baseline = await startBaselineWorker(temporal);
  try {
    await inParallel(CONNECTIONS, SETUP_CONCURRENCY, (i) => baseline.start(`baseline-${i}`, PROVIDER_LATENCY_MS));
    const worker = await baseline.runWorker();
    const started = performance.now();
    const done = await waitFor(async () => (await baseline.completed()) >= CONNECTIONS, { timeoutMs: TIMEOUT_MS, what: 'baseline workflows completed' });
    await worker.stop();
    const seconds = (done - started) / 1000;
    return { seconds, perSecond: CONNECTIONS / seconds };
  } finally {
    await baseline.close();
  }
}

async function custodianRun(temporal: DevServer): Promise<Rate> {
  const stack = await startCustodianStack({ temporal });
  try {
    const { provider, service, scope, api } = stack;
    const importStarted = performance.now();
    await inParallel(CONNECTIONS, SETUP_CONCURRENCY, async (i) => {
      const tokens = await obtainTokens(provider);
      const expiresAt = new Date(Date.now() + DUE_IN_MS);
      await service.importConnection(scope, {
        connectionId: `storm-${i}`,
        credentials: { type: 'OAUTH2', access_token: String(tokens.access_token), refresh_token: String(tokens.refresh_token), expires_at: expiresAt.toISOString(), raw: {} },
        expiresAt,
      });
    });
    console.log(`imported ${CONNECTIONS} due connections with no worker running in ${((performance.now() - importStarted) / 1000).toFixed(1)} s`);
    provider.knobs.latencyMs = PROVIDER_LATENCY_MS;
    const refreshed = async () =>
      Number(((await api.deps.db.query('SELECT count(*) AS n FROM connection WHERE environment_id = $1 AND credentials_version > 1', [scope.environment.id])) as Array<{ n: string }>)[0]!.n);
    const worker = await stack.startWorker();
    const started = performance.now();
    const memory = new RssSampler(worker.child.pid!);
    const done = await waitFor(async () => (await refreshed()) >= CONNECTIONS, { timeoutMs: TIMEOUT_MS, what: 'connections refreshed' });
    const { peakMiB } = memory.stop();
    const calls = provider.tokenCalls('refresh_token');
    const answered = calls.filter((call) => call.status === 200).length;
    if (answered !== CONNECTIONS) console.log(`note: the provider answered ${answered} refresh calls with 200 for ${CONNECTIONS} connections (${calls.length} calls in all)`);
    console.log(`worker RSS peak during the storm: ${peakMiB.toFixed(0)} MiB`);
    const seconds = (done - started) / 1000;
    return { seconds, perSecond: CONNECTIONS / seconds };
  } finally {
    await stack.close();
  }
}
