import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { startLifecycle, type Lifecycle } from '../support/lifecycle';
import { decodePayloads, eventTimeMs, historyText, runHistories, type HistoryEvent } from '../support/workflow-history';
import { stateQuery } from '../../workflows/connection-messages';
import type { RefreshOutcome } from '../../activities/connection-activity-types';

const HOUR = 3_600_000;
const MARGIN = 15 * 60_000;
const MAX_JITTER = 60_000;

describe('connection workflow: thirty days of one-hour tokens (time skipping)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;
  let rig: Lifecycle;

  before(async () => {
    env = await createTimeSkippingEnv();
    rig = await startLifecycle({ env, knobs: { expiresIn: 3600, rotateRefreshTokens: true } });
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  it('refreshes before every expiry, uses each refresh token once, and keeps every run under 2,000 events', async () => {
    const row = await rig.connect('thirty-days');
    const { workflowId, firstRunId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    const wallStart = Date.now();
    const state = await rig.worker.runUntil(async () => {
      await env.sleep('30 days');
      return handle.query(stateQuery);
    });
    const wallMs = Date.now() - wallStart;

    const refreshes = rig.provider.tokenCalls('refresh_token');
    const used = refreshes.map((c) => c.refreshTokenUsed);
    // 30 days / (60 − 15 − jitter) minutes per token ≈ 960–982 refreshes.
    expect(refreshes.length).to.be.within(955, 990);
    expect(new Set(used).size, 'each refresh token used once').to.equal(used.length);
    expect(refreshes.every((c) => c.status === 200)).to.equal(true);
    expect(state.status).to.equal('active');
    expect(state.consecutiveFailures).to.equal(0);

    const runs = await runHistories(env.client, workflowId, firstRunId);
    expect(runs.length, 'continued as new').to.be.greaterThan(10);
    for (const run of runs) expect(run.events.length, `run ${run.runId}`).to.be.below(2_000);

    // From the histories (workflow time): each refresh ran inside the margin before the previous token's expiry.
    const attempts = runs.flatMap((run) => refreshAttempts(run.events));
    expect(attempts.length).to.equal(refreshes.length);
    let expiresAt = row.expiresAt!.getTime();
    for (const attempt of attempts) {
      expect(attempt.scheduledAt, 'before expiry').to.be.below(expiresAt);
      expect(attempt.scheduledAt, 'not earlier than the margin').to.be.at.least(expiresAt - MARGIN - MAX_JITTER - 1_000);
      expect(attempt.outcome.result).to.equal('refreshed');
      if (attempt.outcome.result === 'refreshed') expiresAt = Date.parse(attempt.outcome.expiresAt!);
      expect(expiresAt - attempt.scheduledAt).to.be.closeTo(HOUR, 5_000);
    }

    // No history holds a token the provider issued or the client secret.
    const secrets = [...rig.provider.issued.accessTokens, ...rig.provider.issued.refreshTokens, ...rig.provider.issued.codes, rig.provider.knobs.clientSecret];
    for (const run of runs) {
      const text = historyText(run.events);
      expect(secrets.filter((s) => text.includes(s))).to.deep.equal([]);
    }
    console.log(`      30 days: ${refreshes.length} refreshes, ${runs.length} runs, ${Math.max(...runs.map((r) => r.events.length))} events max per run, ${(runs.reduce((n, r) => n + r.events.length, 0) / attempts.length).toFixed(1)} events per refresh, ${(wallMs / 1000).toFixed(1)} s wall`);
  });
});

function refreshAttempts(events: HistoryEvent[]): Array<{ scheduledAt: number; outcome: RefreshOutcome }> {
  const scheduled = new Map<string, number>();
  const out: Array<{ scheduledAt: number; outcome: RefreshOutcome }> = [];
  for (const event of events) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === 'refreshCredentials') scheduled.set(String(event.eventId), eventTimeMs(event));
    const c = event.activityTaskCompletedEventAttributes;
    if (c && scheduled.has(String(c.scheduledEventId))) {
      out.push({ scheduledAt: scheduled.get(String(c.scheduledEventId))!, outcome: decodePayloads(c.result)[0] as RefreshOutcome });
    }
  }
  return out;
}
