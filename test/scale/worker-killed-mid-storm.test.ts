import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { mapLimit } from '../support/map-limit';
import type { FakeProviderCall } from '../support/fake-provider';
import { ALWAYS_REFRESH } from '../support/refresh-policy';
import { ProductionTopology, type TopologyConnection } from '../support/production-topology';
import { createDevServerEnv } from '../support/temporal-env';
import { temporal } from '@temporalio/proto';
import { stateQuery } from '../../workflows/connection-messages';

/** Connections due at once. */
const CONNECTIONS = 200;
/** How long the provider takes to answer a refresh: the storm lasts several seconds with two workers. */
const PROVIDER_LATENCY_MS = 400;
/** Within the default 15-minute REFRESH_MARGIN: every imported connection is due at once. */
const EXPIRES_WITHIN_MARGIN_MS = 10 * 60_000;
/** One worker is SIGKILLed once this many refreshes were answered (and others are pending). */
const ANSWERED_BEFORE_KILL = CONNECTIONS / 5;
/** A refresh token rotated for a killed worker's lost answer is accepted again this long (Okta's default is 30 s). */
const REUSE_GRACE_MS = 60_000;
/** Concurrent readers per API process during the storm. */
const READERS_PER_API = 3;
const IN_FLIGHT_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 120_000;
const POLL_MS = 50;

/**
 * Scale-out (issue 13): two API processes and two worker processes in production mode against one
 * Temporal dev server and one PostgreSQL database. A refresh storm of a few hundred connections due at
 * once, reads through both APIs all along; one worker is SIGKILLed mid-storm and the other finishes it.
 */
describe('scale-out: two APIs and two workers, one worker SIGKILLed mid-storm (dev server, PostgreSQL, production processes)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let topology: ProductionTopology;

  before(async () => {
    env = await createDevServerEnv();
    // REFRESH_POLICY=always: every due connection is refreshed by its schedule, read or not (the storm).
    topology = await ProductionTopology.start({ temporalAddress: env.address, apis: 2, env: { ...ALWAYS_REFRESH } });
  });
  after(async () => {
    await topology?.close();
    await env?.teardown();
  });

  it('the surviving worker finishes the storm: every connection refreshed once (or once plus the retry of a lost answer), every workflow scheduled, every read served a valid token', async () => {
    const { provider } = topology;
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    const phases: string[] = [];
    // Imported while the workers start (they bundle the workflow code first): the workflows wait for them.
    const starting = Promise.all([topology.startWorker(), topology.startWorker()]);
    const connections = await topology.importMany('storm', CONNECTIONS, () => new Date(Date.now() + EXPIRES_WITHIN_MARGIN_MS));
    const early = provider.tokenCalls('refresh_token').length;
    phases.push(`imported +${seconds()} s (${early} refreshed before)`);
    Object.assign(provider.knobs, { latencyMs: PROVIDER_LATENCY_MS, reuseGraceMs: REUSE_GRACE_MS, cancelOnClientDisconnect: false });
    const [doomed, survivor] = await starting;
    phases.push(`workers polling +${seconds()} s`);
    const reading = topology.startReaders(connections, { perApi: READERS_PER_API });
    const atKill = await waitForRefreshesInFlight(() => provider.tokenCalls('refresh_token'), ANSWERED_BEFORE_KILL);
    await topology.kill(doomed!);
    phases.push(`SIGKILL +${seconds()} s`);
    const settled = await waitUntilSettled(topology, connections);
    phases.push(`settled +${seconds()} s`);
    const reads = await reading.stop();
    console.log(
      `      ${CONNECTIONS} connections; at the SIGKILL ${atKill.answered} refreshes answered, ${atKill.pending.length} pending; ` +
        `${provider.tokenCalls('refresh_token').length} refresh calls; ${reads.length} reads (${reads.filter((r) => r.api === 0).length} / ${reads.filter((r) => r.api === 1).length}); ${phases.join(', ')}`,
    );

    expect(settled, `every connection refreshed within ${SETTLE_TIMEOUT_MS / 1000} s\n${topology.outputs()}`).to.equal(true);
    expect(survivor!.alive(), 'the surviving worker is running').to.equal(true);
    expect(topology.apis.map((api) => api.process.alive()), 'both API processes are running').to.deep.equal([true, true]);

    // Nothing lost: every row active with a rotated token the provider accepts.
    const rows = await topology.rows(connections);
    expect(rows.filter((row) => row.status !== 'active').map((row) => `${row.connectionId}: ${row.status} ${row.lastRefreshFailureReason}`), 'rows not active').to.deep.equal([]);
    expect(rows.filter((row) => row.credentialsVersion < 2).map((row) => row.connectionId), 'rows never refreshed').to.deep.equal([]);
    expect(rows.filter((row) => !provider.isAccessTokenValid(topology.accessTokenOf(row))).map((row) => row.connectionId), 'access tokens the provider does not know').to.deep.equal([]);
    expect(rows.filter((row) => row.expiresAt === null || row.expiresAt.getTime() - Date.now() < EXPIRES_WITHIN_MARGIN_MS).map((row) => row.connectionId), 'rows still due').to.deep.equal([]);

    // Nothing refreshed twice: each workflow decided one refresh, and each provider call of a connection
    // (followed along its chain of rotated tokens) is one attempt of that refresh's activity. A second call
    // comes only from Temporal retrying an attempt it declared lost (the SIGKILLed worker's, or one whose
    // heartbeats a saturated machine delayed past the timeout), with the same token while the lost attempt
    // had not stored its answer yet. Once it had, the retry sends nothing (the row holds its clock).
    const calls = provider.tokenCalls('refresh_token');
    const chains = refreshChains(calls, connections);
    expect(calls.length, 'refresh calls outside every connection\'s chain of tokens').to.equal([...chains.values()].reduce((n, chain) => n + chain.length, 0));
    const activities = await mapLimit(connections, 16, async (c) => ({ connectionId: c.connectionId, attempts: await refreshAttempts(env, topology.workflowId(c.connectionId)) }));
    expect(
      activities.filter((a) => a.attempts.length !== 1).map((a) => `${a.connectionId}: refreshes scheduled ${a.attempts.map((r) => `at +${r.at.toFixed(1)} s ${r.byUpdate ? 'with a read\'s Update' : 'by the schedule'}`).join(', ')}`),
      'workflows that scheduled other than one refresh',
    ).to.deep.equal([]);
    const overAttempts = activities.filter((a) => {
      const n = chains.get(a.connectionId)!.length;
      return n < 1 || n > a.attempts[0]!.attempt;
    });
    expect(overAttempts.map((a) => `${a.connectionId}: ${chains.get(a.connectionId)!.length} provider calls, ${a.attempts[0]!.attempt} attempts`), 'provider calls beyond the refresh activity\'s attempts').to.deep.equal([]);
    const retried = activities.filter((a) => a.attempts[0]!.attempt > 1);
    expect(retried.filter((a) => a.attempts[0]!.lastFailure !== 'TIMEOUT_TYPE_HEARTBEAT').map((a) => `${a.connectionId}: retried after ${a.attempts[0]!.lastFailure}`), 'refresh attempts retried for another reason than a lost worker').to.deep.equal([]);
    const twice = connections.filter((c) => chains.get(c.connectionId)!.length > 1);
    console.log(
      `      ${retried.length} refresh attempts retried after a heartbeat timeout; ${twice.length} connections called the provider twice ` +
        `(${twice.filter((c) => chains.get(c.connectionId)![1]!.refreshTokenUsed === c.refreshToken).length} with the same token)`,
    );
    expect(twice.filter((c) => chains.get(c.connectionId)![1]!.refreshTokenUsed !== c.refreshToken).map((c) => c.connectionId), 'retries that refreshed again the token a lost attempt had stored').to.deep.equal([]);
    expect(calls.filter((call) => call.status !== 200).map((call) => call.status), 'refresh calls the provider refused').to.deep.equal([]);

    // Every workflow still runs, its next refresh scheduled before the new token's margin.
    const states = await mapLimit(connections, 16, async (c) => {
      const handle = env.client.workflow.getHandle(topology.workflowId(c.connectionId));
      const [description, state] = await Promise.all([handle.describe(), handle.query(stateQuery)]);
      return { connectionId: c.connectionId, running: description.status.name, state };
    });
    expect(states.filter((s) => s.running !== 'RUNNING').map((s) => `${s.connectionId}: ${s.running}`), 'workflows not running').to.deep.equal([]);
    expect(
      states.filter((s) => s.state.status !== 'active' || s.state.nextRefreshAt === null || Date.parse(s.state.nextRefreshAt) <= Date.now()).map((s) => `${s.connectionId}: ${JSON.stringify(s.state)}`),
      'workflows without a next refresh ahead',
    ).to.deep.equal([]);

    expect(topology.processesPrintingSecrets(), 'processes that printed a token or secret').to.deep.equal([]);

    // Every read through either API got a token the provider accepted.
    expect(reads.filter((r) => r.api === 0).length, 'reads through the first API').to.be.above(0);
    expect(reads.filter((r) => r.api === 1).length, 'reads through the second API').to.be.above(0);
    expect(reads.filter((r) => r.status !== 200 || !r.valid).map((r) => `API ${r.api} ${r.connectionId}: ${r.status}`), 'reads without a valid token').to.deep.equal([]);
  });
});

/** Each connection's refresh calls, following its chain of rotated tokens from the imported one. */
function refreshChains(calls: readonly FakeProviderCall[], connections: readonly TopologyConnection[]): Map<string, FakeProviderCall[]> {
  const byToken = new Map<string, FakeProviderCall[]>();
  for (const call of calls) byToken.set(call.refreshTokenUsed ?? '', [...(byToken.get(call.refreshTokenUsed ?? '') ?? []), call]);
  const chains = new Map<string, FakeProviderCall[]>();
  for (const connection of connections) {
    const chain: FakeProviderCall[] = [];
    const tokens = [connection.refreshToken];
    for (let token = tokens.pop(); token !== undefined; token = tokens.pop()) {
      for (const call of byToken.get(token) ?? []) {
        chain.push(call);
        if (call.refreshTokenIssued !== undefined) tokens.push(call.refreshTokenIssued);
      }
    }
    chains.set(connection.connectionId, chain.sort((a, b) => a.at.getTime() - b.at.getTime()));
  }
  return chains;
}

interface RefreshActivity {
  /** The attempt that completed (1 unless Temporal retried it). */
  attempt: number;
  /** Why the attempt before it failed (a timeout type, or the failure's message). */
  lastFailure: string | undefined;
  /** Scheduled in the same workflow task as an accepted `refresh` Update (a read's), not by the schedule. */
  byUpdate: boolean;
  /** Seconds from the workflow's start. */
  at: number;
}

/** The workflow's refreshCredentials activities, in order. */
async function refreshAttempts(env: TestWorkflowEnvironment, workflowId: string): Promise<RefreshActivity[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const refreshes = new Map<string, RefreshActivity>();
  let updateInTask = false;
  let startedAt: number | undefined;
  for (const event of history.events ?? []) {
    const at = Number(event.eventTime?.seconds ?? 0) + (event.eventTime?.nanos ?? 0) / 1e9;
    startedAt ??= at;
    if (event.workflowTaskCompletedEventAttributes) updateInTask = false;
    if (event.workflowExecutionUpdateAcceptedEventAttributes) updateInTask = true;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'refreshCredentials') refreshes.set(String(event.eventId), { attempt: 1, lastFailure: undefined, byUpdate: updateInTask, at: at - startedAt });
    const started = event.activityTaskStartedEventAttributes;
    const refresh = started ? refreshes.get(String(started.scheduledEventId)) : undefined;
    if (started && refresh) {
      const timeout = started.lastFailure?.timeoutFailureInfo?.timeoutType;
      refresh.attempt = started.attempt ?? 1;
      refresh.lastFailure = timeout === undefined || timeout === null ? (started.lastFailure?.message ?? undefined) : String(temporal.api.enums.v1.TimeoutType[timeout]);
    }
  }
  return [...refreshes.values()];
}

/** Waits until at least `answered` refresh calls were answered while others are still pending at the provider. */
async function waitForRefreshesInFlight(calls: () => FakeProviderCall[], answered: number): Promise<{ answered: number; pending: FakeProviderCall[] }> {
  const deadline = Date.now() + IN_FLIGHT_TIMEOUT_MS;
  for (;;) {
    const now = calls();
    const done = now.filter((call) => call.status !== 0).length;
    const pending = now.filter((call) => call.status === 0);
    if (done >= answered && pending.length > 0) return { answered: done, pending };
    if (Date.now() > deadline) throw new Error(`no storm in flight within ${IN_FLIGHT_TIMEOUT_MS} ms: ${done} refresh calls answered, ${pending.length} pending`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Waits until every row was rewritten by a refresh or one is no longer active; false at the deadline. */
async function waitUntilSettled(topology: ProductionTopology, connections: readonly TopologyConnection[]): Promise<boolean> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const rows = await topology.rows(connections);
    if (rows.some((row) => row.status !== 'active')) return true;
    if (rows.length === connections.length && rows.every((row) => row.credentialsVersion > 1)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
