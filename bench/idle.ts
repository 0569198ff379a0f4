/**
 * `idle`: what keeping connections valid costs when most are not read, REFRESH_POLICY=by-use against
 * REFRESH_POLICY=always (the baseline) in the same run. Each policy gets its own time-skipping Temporal
 * test server and rig, N connections with 1-hour tokens (10% of them read every hour, as the API reads:
 * ConnectionService.readFresh, then `last_fetched_at`), and DAYS simulated days. Prints provider calls,
 * history events and billable actions per connection per day, and what 1M such connections would need
 * per second.
 */
import { apiReader } from '../test/support/api-reads';
import { connectMany } from '../test/support/connect-many';
import { startLifecycle } from '../test/support/lifecycle';
import { createTimeSkippingEnv } from '../test/support/temporal-env';
import { runHistories } from '../test/support/workflow-history';
import { addCosts, historyCost } from './history-cost';

const HOUR = 3_600_000;
const CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 50);
const DAYS = Number(process.env.BENCH_IDLE_DAYS ?? 2);
const READ_SHARE = 0.1;

interface PolicyFigures {
  providerCallsPerConnectionDay: number;
  eventsPerConnectionDay: number;
  actionsPerConnectionDay: number;
}

export async function idleBenchmark(): Promise<void> {
  const always = await measure('always');
  const byUse = await measure('by-use');
  const line = (name: string, f: PolicyFigures) =>
    `${name.padEnd(8)} ${f.providerCallsPerConnectionDay.toFixed(2)} provider calls, ${f.eventsPerConnectionDay.toFixed(1)} history events, ${f.actionsPerConnectionDay.toFixed(1)} billable actions per connection per day; ` +
    `1M such connections: ${((f.providerCallsPerConnectionDay * 1e6) / 86_400).toFixed(0)} provider calls/s, ${((f.actionsPerConnectionDay * 1e6) / 86_400).toFixed(0)} actions/s`;
  console.log(`${CONNECTIONS} connections, ${READ_SHARE * 100}% read hourly, 1-hour tokens, ${DAYS} simulated days (time skipping)`);
  console.log(line('always', always));
  console.log(line('by-use', byUse));
  console.log(
    `ratio by-use / always: ${(byUse.providerCallsPerConnectionDay / always.providerCallsPerConnectionDay).toFixed(2)}x the provider calls, ${(byUse.actionsPerConnectionDay / always.actionsPerConnectionDay).toFixed(2)}x the actions`,
  );
}

async function measure(policy: 'always' | 'by-use'): Promise<PolicyFigures> {
  const env = await createTimeSkippingEnv();
  const rig = await startLifecycle({ env, knobs: { expiresIn: 3600, rotateRefreshTokens: false }, configEnv: { REFRESH_POLICY: policy } });
  const running = rig.worker.run();
  try {
    const rows = await connectMany(rig, 'bench', CONNECTIONS);
    const read = apiReader(env.client, rig);
    const readers = rows.slice(0, Math.max(1, Math.round(CONNECTIONS * READ_SHARE)));
    const callsBefore = rig.provider.tokenCalls('refresh_token').length;
    for (let hour = 1; hour <= DAYS * 24; hour++) {
      await env.sleep(HOUR);
      const now = new Date(await env.currentTimeMs());
      for (const { row } of readers) await read(row.connectionId, now);
    }
    const calls = rig.provider.tokenCalls('refresh_token').length - callsBefore;
    const cost = addCosts(await Promise.all(rows.map(async ({ workflowId, firstRunId }) => addCosts((await runHistories(env.client, workflowId, firstRunId)).map((run) => historyCost(run.events))))));
    const connectionDays = CONNECTIONS * DAYS;
    return { providerCallsPerConnectionDay: calls / connectionDays, eventsPerConnectionDay: cost.events / connectionDays, actionsPerConnectionDay: cost.actions / connectionDays };
  } finally {
    rig.worker.shutdown();
    await running;
    await rig.close();
    await env.teardown();
  }
}
