/**
 * `import`: `POST /connections` (an OAUTH2 token set from elsewhere: validated, encrypted, stored, the
 * operation logged, the connection's workflow started, the connection presented) against a bare Koa
 * endpoint that inserts the same kind of row with `pg` and starts a one-activity workflow on the same
 * Temporal server — first with no worker polling either task queue, then with one worker each (Custodian's
 * built worker; a bare worker running the baseline workflow), every round starting once both workers and
 * the Temporal server are idle (the backlog of earlier rounds done). The built API, the baseline and the workers each run in a
 * process of their own; alternating rounds, 16 clients, a new connection per request.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { createTestDatabase } from '../test/support/database';
import { createDevServerEnv } from '../test/support/temporal-env';
import { devServerPid, seedIntegration, stackSettings, startBaseline, startBuiltApi, startBuiltWorker, waitIdle } from './production-stack';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

interface ImportRound {
  perSecond: number;
  p99Ms: number;
  failed: number;
}

async function importRound(url: string, headers: Record<string, string>, body: string): Promise<ImportRound> {
  const result = await autocannon({ url, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS });
  return { perSecond: result.requests.average, p99Ms: result.latency.p99, failed: result.errors + result.non2xx };
}

/** The median of each figure over the rounds (failures summed). */
function medians(rounds: ImportRound[]): ImportRound {
  const middle = (pick: (r: ImportRound) => number) => rounds.map(pick).sort((x, y) => x - y)[Math.floor(rounds.length / 2)]!;
  return { perSecond: middle((r) => r.perSecond), p99Ms: middle((r) => r.p99Ms), failed: rounds.reduce((sum, r) => sum + r.failed, 0) };
}

export async function importBenchmark(): Promise<void> {
  const database = await createTestDatabase();
  const temporal = await createDevServerEnv();
  const settings = stackSettings(database.url, temporal.address);
  const baselineQueue = `${settings.taskQueue}-baseline`;
  const stops: Array<() => Promise<unknown>> = [() => temporal.teardown(), () => database.drop()];
  try {
    const api = await startBuiltApi(settings);
    stops.unshift(() => api.process.stop());
    const baseline = await startBaseline('baseline-server.ts', ['import'], { DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: baselineQueue });
    stops.unshift(() => baseline.stop());
    const { db, environment, integration } = await seedIntegration(settings);
    stops.unshift(() => db.destroy());
    // A token valid for a day: the workflow schedules its refresh and sleeps; nothing calls a provider.
    const credentials = { type: 'OAUTH2', access_token: 'bench-access-token', refresh_token: 'bench-refresh-token', expires_at: new Date(Date.now() + 86_400_000).toISOString() };
    const custodian = () => importRound(`${api.url}/connections`, { authorization: `Bearer ${settings.secretKey}` }, JSON.stringify({ provider_config_key: 'gh', credentials }));
    const bare = () => importRound(`${baseline.url}/`, { 'x-environment': environment.id, 'x-integration': integration.id }, JSON.stringify({ provider_config_key: 'gh', credentials }));

    const phase = async (name: string, settle: () => Promise<void>) => {
      await custodian();
      await bare();
      const a: ImportRound[] = [];
      const b: ImportRound[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        await settle();
        b.push(await bare());
        await settle();
        a.push(await custodian());
      }
      const [ours, theirs] = [medians(a), medians(b)];
      if (ours.failed + theirs.failed > 0) throw new Error(`failed imports (${name}): custodian ${ours.failed}, baseline ${theirs.failed}`);
      console.log(`${name}:`);
      console.log(`  bare Koa + pg + workflow start: ${theirs.perSecond.toFixed(0)}/s, p99 ${theirs.p99Ms} ms`);
      console.log(`  POST /connections:              ${ours.perSecond.toFixed(0)}/s, p99 ${ours.p99Ms} ms`);
      console.log(`  ratio: ${(ours.perSecond / theirs.perSecond).toFixed(2)}x the rate, p99 ${(ours.p99Ms / Math.max(theirs.p99Ms, 1)).toFixed(1)}x`);
    };

    await phase('no worker running', async () => undefined);
    const worker = await startBuiltWorker(settings);
    stops.unshift(() => worker.stop());
    const bareWorker = await startBaseline('baseline/import-worker.ts', [], { DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: baselineQueue });
    stops.unshift(() => bareWorker.stop());
    const server = devServerPid(temporal.address);
    await phase('one worker each', () => waitIdle([worker.child.pid!, bareWorker.pid, server], 300_000));
    console.log(`(${ROUNDS} alternating rounds of ${SECONDS} s per phase, ${CONNECTIONS} clients, medians; each server and worker in its own process)`);
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}
