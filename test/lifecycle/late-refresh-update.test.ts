import { expect } from 'chai';
import { createActivities } from '../../activities';
import { createLogger } from '../../src/logger';
import { addressedRefreshUpdate } from '../../workflows/connection-messages';
import { connectionRow, useLifecycleSuite } from './lifecycle-suite';

/**
 * A read that found the token due sends a `refresh` Update naming the expiry it saw. When that Update
 * reaches the workflow only after the workflow stored newer credentials (a loaded machine, a slow
 * client), and later than REFRESH_FLOOR (off here), it is answered with those credentials: no second
 * provider call. A forced refresh, or one that saw the current expiry, still calls the provider.
 */
describe('a late refresh Update from a read that saw older credentials (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ configEnv: { REFRESH_FLOOR: '0s' } });

  it('answers with the credentials stored since, without calling the provider; a current or forced request refreshes', async () => {
    const { rig, env } = s;
    const row = await rig.connect('late-update');
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    const seen = row.expiresAt!.toISOString();
    const refreshCalls = () => rig.provider.tokenCalls('refresh_token').length;

    // The refresh the read's Update was late for (a forced one here: it names no expiry).
    const first = await handle.executeUpdate(addressedRefreshUpdate, { args: [{ connectionRowId: row.id }] });
    expect(first.errorCode).to.equal(null);
    expect(refreshCalls()).to.equal(1);
    const stored = await connectionRow(rig, row.id);
    expect(stored.expiresAt!.toISOString()).to.not.equal(seen);

    const late = await handle.executeUpdate(addressedRefreshUpdate, { args: [{ connectionRowId: row.id, seenExpiresAt: seen }] });
    expect(late).to.include({ status: 'active', errorCode: null, expiresAt: stored.expiresAt!.toISOString() });
    expect(refreshCalls(), 'no second provider call').to.equal(1);
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(stored.credentialsVersion);

    const current = await handle.executeUpdate(addressedRefreshUpdate, { args: [{ connectionRowId: row.id, seenExpiresAt: stored.expiresAt!.toISOString() }] });
    expect(current.errorCode).to.equal(null);
    expect(refreshCalls(), 'a request that saw the current expiry refreshes').to.equal(2);

    await handle.executeUpdate(addressedRefreshUpdate, { args: [{ connectionRowId: row.id }] });
    expect(refreshCalls(), 'a forced request refreshes').to.equal(3);
  });

  it('a retried refresh attempt whose earlier attempt stored its credentials (its completion lost) sends nothing', async () => {
    const { rig } = s;
    const row = await rig.connect('retried-attempt');
    const activities = createActivities({ db: rig.db, cipher: rig.cipher, catalog: rig.catalog, config: rig.config, logger: createLogger('silent') });
    const calls = () => rig.provider.tokenCalls('refresh_token').length;
    const before = calls();
    const nowMs = Date.now();
    const first = await activities.refreshCredentials({ connectionRowId: row.id, nowMs });
    expect(first.result).to.equal('refreshed');
    const stored = await connectionRow(rig, row.id);
    // The same invocation (same workflow clock) retried, as Temporal retries an attempt it declared lost.
    const retried = await activities.refreshCredentials({ connectionRowId: row.id, nowMs });
    expect(retried).to.deep.equal({ result: 'refreshed', expiresAt: stored.expiresAt!.toISOString(), refreshedAt: new Date(nowMs).toISOString() });
    expect(calls() - before).to.equal(1);
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(stored.credentialsVersion);
    // A later invocation refreshes.
    expect((await activities.refreshCredentials({ connectionRowId: row.id, nowMs: nowMs + 1_000 })).result).to.equal('refreshed');
    expect(calls() - before).to.equal(2);
  });
});
