import { expect } from 'chai';
import type { Credentials } from '../../src/connections/credentials';
import type { ConnectionEntity } from '../../src/db/entities';
import { refreshUpdate, type RefreshResult } from '../../workflows/connection-messages';
import type { Lifecycle } from '../support/lifecycle';
import { connectionRow, operationLog, parseWebhook, realDelay, refreshFailureWebhooks, useLifecycleSuite, waitForState, type LifecycleSuite } from './lifecycle-suite';

// Our timeout (PROVIDER_TIMEOUT=2s) is shorter than the provider's first answer (3 s), which it still
// processes: it rotates the refresh token for a client that has given up. The retry comes ≥ 1 s after
// our timeout and the provider answers it in 1.5 s, so it is processed after the rotation, every time.
const FIRST_LATENCY_MS = 3_000;
const RETRY_LATENCY_MS = 1_500;

function refreshTokenOf(rig: Lifecycle, row: ConnectionEntity): string {
  const credentials: Credentials = rig.connections.credentialsOf(row);
  if (credentials.type !== 'OAUTH2' || !credentials.refresh_token) throw new Error('expected OAUTH2 credentials with a refresh token');
  return credentials.refresh_token;
}

function accessTokenOf(rig: Lifecycle, row: ConnectionEntity): string {
  const credentials: Credentials = rig.connections.credentialsOf(row);
  if (credentials.type !== 'OAUTH2') throw new Error('expected OAUTH2 credentials');
  return credentials.access_token;
}

/** Connects, then asks for a refresh whose first answer is lost (our timeout); returns the Update's result. */
async function refreshWithLostFirstAnswer(s: LifecycleSuite, connectionId: string): Promise<{ row: ConnectionEntity; result: RefreshResult }> {
  const { rig, env, receiver } = s;
  const row = await rig.connect(connectionId, { webhookUrl: receiver.url });
  const { workflowId } = await rig.startWorkflow(row);
  const handle = env.client.workflow.getHandle(workflowId);
  await waitForState(handle);
  rig.provider.knobs.latencyMs = FIRST_LATENCY_MS;
  const pending = handle.executeUpdate(refreshUpdate);
  pending.catch(() => undefined);
  for (let i = 0; i < 100 && rig.provider.tokenCalls('refresh_token').length === 0; i++) await realDelay(50);
  expect(rig.provider.tokenCalls('refresh_token'), 'the first refresh reached the provider').to.have.length(1);
  rig.provider.knobs.latencyMs = RETRY_LATENCY_MS;
  const result = await pending;
  rig.provider.knobs.latencyMs = 0;
  return { row, result };
}

describe('lost refresh responses: the provider accepts the refresh token again within its reuse interval (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ knobs: { reuseGraceMs: 30_000 }, configEnv: { PROVIDER_TIMEOUT: '2s' } });

  it('retries promptly with the same refresh token after our timeout; the connection stays active with a working token', async () => {
    const { rig, receiver } = s;
    const { row, result } = await refreshWithLostFirstAnswer(s, 'lost-within-grace');
    const sent = refreshTokenOf(rig, row);

    expect(result).to.include({ status: 'active', errorCode: null });
    const calls = rig.provider.tokenCalls('refresh_token');
    expect(calls.map((c) => [c.refreshTokenUsed, c.status]), 'the timed-out call was still processed; the retry reused its token').to.deep.equal([
      [sent, 200],
      [sent, 200],
    ]);
    const after = await connectionRow(rig, row.id);
    expect(after).to.include({ status: 'active', lastRefreshFailureReason: null, refreshAttemptStartedAt: null, credentialsVersion: row.credentialsVersion + 1 });
    expect(rig.provider.isAccessTokenValid(accessTokenOf(rig, after))).to.equal(true);
    const log = await operationLog(rig, row.id);
    expect(log.filter((l) => l.level === 'warn').map((l) => l.message)).to.deep.equal([
      `attempt failed: The token endpoint of Fake OAuth (${rig.provider.url}/token) did not answer within 2 s`,
      'the answer to an earlier refresh request was lost; sending the same refresh token again',
    ]);
    expect(log.filter((l) => l.type === 'status_change')).to.deep.equal([]);
    await realDelay(300);
    expect(receiver.received).to.deep.equal([]);
  });
});

describe('lost refresh responses: the provider refuses the rotated refresh token (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ configEnv: { PROVIDER_TIMEOUT: '2s' } });

  it('records refresh_response_lost, not a revocation, on the row, in the operation log and in the webhook', async () => {
    const { rig, receiver } = s;
    const { row, result } = await refreshWithLostFirstAnswer(s, 'lost-no-grace');
    const sent = refreshTokenOf(rig, row);

    expect(result).to.include({ status: 'invalid', errorCode: 'refresh_response_lost' });
    expect(rig.provider.tokenCalls('refresh_token').map((c) => [c.refreshTokenUsed, c.status])).to.deep.equal([
      [sent, 200],
      [sent, 400],
    ]);
    const after = await connectionRow(rig, row.id);
    expect(after).to.include({ status: 'invalid', lastRefreshFailureReason: 'refresh_response_lost', refreshAttemptStartedAt: null, credentialsVersion: row.credentialsVersion });
    const log = await operationLog(rig, row.id);
    const refusal = log.find((l) => l.level === 'error');
    expect(refusal?.context).to.include({ code: 'refresh_response_lost', providerCode: 'invalid_grant', httpStatus: 400 });
    expect(refusal?.message).to.match(/^the provider refused the refresh token after the answer to an earlier refresh was lost/);
    expect(log.filter((l) => l.type === 'status_change').map((l) => l.context)).to.deep.equal([{ from: 'active', to: 'invalid', code: 'refresh_response_lost' }]);

    await receiver.waitForAnswered(1, 10_000);
    const webhooks = refreshFailureWebhooks(receiver).map(parseWebhook);
    expect(webhooks.map((w) => w.error?.type)).to.deep.equal(['refresh_response_lost']);
    expect(webhooks[0]!.error?.description).to.match(/rotated it for a refresh whose answer was lost/);
  });
});
