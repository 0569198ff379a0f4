import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCatalog, type Catalog } from '../../providers/load-catalog';
import { createTestDatabase } from '../support/database';
import { fakeProviderEntry, startFakeProvider, type FakeProvider } from '../support/fake-provider';
import { FAKE_PROVIDER } from '../support/lifecycle';
import {
  accessTokenOf,
  describeOutcome,
  prepareStorm,
  waitForRefreshesInFlight,
  waitUntilSettled,
  type RefreshCalls,
  type Storm,
  type StormOutcome,
} from '../support/refresh-storm';
import { createDevServerEnv } from '../support/temporal-env';
import { WorkerProcesses } from '../support/worker-processes';

/** Due connections per storm (issue 9 asks for at least 200). */
const CONNECTIONS = 200;
/** How long the provider takes to answer a refresh. */
const PROVIDER_LATENCY_MS = 300;
/** The worker is stopped once this many refreshes were answered (and others are still pending). */
const ANSWERED_BEFORE_FAULT = CONNECTIONS / 10;
const IN_FLIGHT_TIMEOUT_MS = 60_000;
/** Bound on the wait for every connection to be refreshed or to end invalid or degraded. */
const SETTLE_TIMEOUT_MS = 120_000;
/** Okta's default grace period for a rotated refresh token is 30 s; Auth0 lets the reuse interval be set; 60 s here. */
const REUSE_GRACE_MS = 60_000;

/** Named moments of one storm, for the figures it prints. */
class Phases {
  private readonly start = performance.now();
  private readonly marks = new Map<string, number>();

  mark(name: string): void {
    this.marks.set(name, performance.now());
  }

  secondsFrom(from: string, to: string): number {
    return ((this.marks.get(to) ?? NaN) - (this.marks.get(from) ?? NaN)) / 1000;
  }

  describe(): string {
    return [...this.marks].map(([name, at]) => `${name} +${((at - this.start) / 1000).toFixed(1)} s`).join(', ');
  }
}

interface StormRun {
  storm: Storm;
  /** The provider's refresh calls when the worker was signalled. */
  atFault: RefreshCalls;
  outcome: StormOutcome;
}

describe('a worker process stopped during a refresh storm (dev server, PostgreSQL, worker processes)', function () {
  this.timeout(420_000);
  let env: TestWorkflowEnvironment;
  let provider: FakeProvider;
  let catalog: Catalog;
  let providersFile: string;
  let database: { url: string; drop: () => Promise<void> };
  let storm: Storm | undefined;
  const key = randomBytes(32);
  const workers = new WorkerProcesses();

  before(async () => {
    env = await createDevServerEnv();
    provider = await startFakeProvider();
    providersFile = path.join(mkdtempSync(path.join(tmpdir(), 'custodian-storm-')), 'providers.yaml');
    writeFileSync(providersFile, stringify({ [FAKE_PROVIDER]: fakeProviderEntry(provider) }));
    catalog = loadCatalog({ extraFile: providersFile });
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await workers.killAll();
    await storm?.close();
    storm = undefined;
  });
  after(async () => {
    await workers.killAll();
    await provider?.close();
    await database?.drop();
    await env?.teardown();
  });

  /**
   * Imports the storm's connections, starts a worker process, stops it with `signal` while refreshes are
   * in flight, starts another and waits until every connection settled; prints the figures.
   */
  async function runStorm(label: string, options: { reuseGraceMs: number; signal: 'SIGKILL' | 'SIGTERM' }): Promise<StormRun> {
    provider.reset();
    Object.assign(provider.knobs, { rotateRefreshTokens: true, latencyMs: PROVIDER_LATENCY_MS, reuseGraceMs: options.reuseGraceMs });
    const phases = new Phases();
    storm = await prepareStorm({ databaseUrl: database.url, encryptionKey: key, temporal: env.client, catalog, provider, count: CONNECTIONS });
    phases.mark('imported');
    const settings = { databaseUrl: database.url, temporalAddress: env.address, taskQueue: storm.taskQueue, encryptionKey: key, providersFile };
    const first = workers.start(settings);
    await first.ready;
    phases.mark('worker running');
    const atFault = await waitForRefreshesInFlight(provider, { answered: ANSWERED_BEFORE_FAULT, timeoutMs: IN_FLIGHT_TIMEOUT_MS });
    phases.mark(options.signal);
    await workers.stop(first, options.signal);
    phases.mark('exited');
    const second = workers.start(settings);
    await second.ready;
    phases.mark('new worker running');
    const outcome = await waitUntilSettled(storm, SETTLE_TIMEOUT_MS);
    phases.mark('settled');
    await workers.stop(second, 'SIGTERM');
    console.log(`      ${describeOutcome(label, outcome, phases.secondsFrom('worker running', 'settled'))}`);
    console.log(`        at the ${options.signal}: ${atFault.answered} refreshes answered, ${atFault.pending.length} pending; phases: ${phases.describe()}`);
    return { storm, atFault, outcome };
  }

  /** The connections whose refresh call was waiting at the provider when the worker was signalled. */
  function inFlightAtFault(run: StormRun): string[] {
    const byToken = new Map(run.storm.connections.map((c) => [c.refreshToken, c.rowId]));
    return run.atFault.pending.map((call) => byToken.get(call.refreshTokenUsed ?? '')).filter((id): id is string => id !== undefined);
  }

  function expectEveryoneRefreshed(run: StormRun): void {
    const { outcome } = run;
    expect(outcome.invalid.map((row) => row.connectionId), 'invalid').to.deep.equal([]);
    expect(outcome.degraded.map((row) => row.connectionId), 'degraded').to.deep.equal([]);
    expect(outcome.refreshed, 'refreshed (credentials_version moved, active)').to.have.length(CONNECTIONS);
    const rejected = outcome.refreshed.filter((row) => !provider.isAccessTokenValid(accessTokenOf(run.storm, row)));
    expect(rejected.map((row) => row.connectionId), 'access tokens the provider does not know').to.deep.equal([]);
  }

  it(`SIGKILL against a provider with a ${REUSE_GRACE_MS / 1000} s reuse grace: every connection is refreshed, none is invalid or degraded`, async () => {
    const run = await runStorm('SIGKILL, 60 s reuse grace', { reuseGraceMs: REUSE_GRACE_MS, signal: 'SIGKILL' });

    const inFlight = inFlightAtFault(run);
    expect(inFlight, 'refreshes in flight at the kill').to.have.length.above(0);
    // Each of those was processed for a client already gone; its retry presented the rotated token again, inside the grace.
    const presentedAgain = run.atFault.pending.filter((call) => provider.tokenCalls('refresh_token').filter((c) => c.refreshTokenUsed === call.refreshTokenUsed && c.status === 200).length >= 2);
    expect(presentedAgain, 'rotated tokens accepted again within the grace').to.have.length(run.atFault.pending.length);
    console.log(`        longest wait from a lost rotation to its accepted retry: ${(longestReuseWaitMs(provider) / 1000).toFixed(1)} s`);
    expectEveryoneRefreshed(run);
  });

  it('SIGKILL without reuse grace: the connections whose refresh response the kill lost are invalid with reason refresh_response_lost, every other one is refreshed', async () => {
    const run = await runStorm('SIGKILL, no grace', { reuseGraceMs: 0, signal: 'SIGKILL' });
    const { outcome } = run;

    const invalidIds = outcome.invalid.map((row) => row.id);
    const inFlight = inFlightAtFault(run);
    expect(inFlight, 'refreshes in flight at the kill').to.have.length.above(0);
    expect(invalidIds, 'every refresh in flight at the kill lost its response').to.include.members(inFlight);
    expect(outcome.degraded.map((row) => row.connectionId), 'degraded').to.deep.equal([]);
    expect(outcome.refreshed.length + outcome.invalid.length, 'refreshed or invalid').to.equal(CONNECTIONS);
    // Lost, not revoked: the provider rotated each invalid connection's token once, then refused it.
    for (const connection of run.storm.connections.filter((c) => invalidIds.includes(c.rowId))) {
      const statuses = provider.tokenCalls('refresh_token').filter((call) => call.refreshTokenUsed === connection.refreshToken).map((call) => call.status);
      expect(statuses.length, `refresh calls of ${connection.connectionId}`).to.be.at.least(2);
      expect(statuses, `refresh calls of ${connection.connectionId}`).to.deep.equal([200, ...statuses.slice(1).map(() => 400)]);
    }

    expect(outcome.invalid.filter((row) => row.lastRefreshFailureReason !== 'refresh_response_lost').map((row) => `${row.connectionId}: ${row.lastRefreshFailureReason}`), 'reasons').to.deep.equal([]);
    const logged = (await run.storm.api.deps.db.query(
      `SELECT DISTINCT connection_row_id AS id FROM operation_log WHERE context->>'code' = 'refresh_response_lost' AND connection_row_id = ANY($1)`,
      [invalidIds],
    )) as Array<{ id: string }>;
    expect(logged.map((row) => row.id), 'operation log entries with code refresh_response_lost').to.have.members(invalidIds);
    const rejected = outcome.refreshed.filter((row) => !provider.isAccessTokenValid(accessTokenOf(run.storm, row)));
    expect(rejected.map((row) => row.connectionId), 'access tokens the provider does not know').to.deep.equal([]);
  });

  it('SIGTERM without reuse grace: the worker finishes its refreshes in flight, every connection is refreshed, none is invalid or degraded', async () => {
    const run = await runStorm('SIGTERM, no grace', { reuseGraceMs: 0, signal: 'SIGTERM' });

    expect(inFlightAtFault(run), 'refreshes in flight at the SIGTERM').to.have.length.above(0);
    // Finished by the stopping worker, not retried by the next one: each of those tokens was presented once.
    const presentedAgain = run.atFault.pending.filter((call) => provider.tokenCalls('refresh_token').filter((c) => c.refreshTokenUsed === call.refreshTokenUsed).length > 1);
    expect(presentedAgain.length, 'refresh tokens of the refreshes in flight presented again').to.equal(0);
    expectEveryoneRefreshed(run);
  });
});

/** The longest time between a refresh token's rotation and the next call presenting it again with success. */
function longestReuseWaitMs(provider: FakeProvider): number {
  const firstAccepted = new Map<string, number>();
  let longest = 0;
  for (const call of provider.tokenCalls('refresh_token')) {
    if (call.status !== 200 || call.refreshTokenUsed === undefined) continue;
    const rotatedAt = firstAccepted.get(call.refreshTokenUsed);
    if (rotatedAt === undefined) firstAccepted.set(call.refreshTokenUsed, call.at.getTime());
    else longest = Math.max(longest, call.at.getTime() - rotatedAt);
  }
  return longest;
}
