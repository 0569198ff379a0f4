import { expect } from 'chai';
import { ConnectionWorkflows } from '../../src/connections/connection-workflows';
import type { WorkflowHandle } from '@temporalio/client';
import { connectionWorkflowId, type ConnectionState } from '../../workflows/connection-messages';
import type { HistoryEvent } from '../support/workflow-history';
import { connectionRow, useLifecycleSuite, waitForState } from './lifecycle-suite';

/** The state query's answer once `ready` holds (10 s at most). */
async function stateWhen(handle: WorkflowHandle, ready: (state: ConnectionState) => boolean): Promise<ConnectionState> {
  let state = await waitForState(handle);
  for (let i = 0; i < 100 && !ready(state); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await waitForState(handle);
  }
  return state;
}

const describes = (events: HistoryEvent[]) => events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'describeConnection').length;

/**
 * An import starts the connection's workflow with signal-with-start and `credentialsReplaced`, naming the
 * credentials version it stored. The run's first read of the row already holds that version: one read,
 * not two. Credentials stored later (a reconnect, a new import) are read again.
 */
describe('credentialsReplaced naming the stored version (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('a new workflow started by the import reads its row once; a later import is read again', async () => {
    const { rig, env } = s;
    const workflows = new ConnectionWorkflows(env.client, rig.taskQueue);
    const row = await rig.connect('stored-signal');
    const ref = { environment: rig.environment, integration: rig.integration, connection: row };
    await workflows.credentialsStored(ref);
    const handle = env.client.workflow.getHandle(connectionWorkflowId(rig.environment.name, rig.integration.uniqueKey, row.connectionId));
    const first = await stateWhen(handle, (state) => state.expiresAt !== null);
    expect(first).to.include({ status: 'active', expiresAt: row.expiresAt!.toISOString() });
    expect(describes((await handle.fetchHistory()).events ?? [])).to.equal(1);

    // A reconnect stores version 2: the running workflow reads the row again and schedules from the new expiry.
    const again = await rig.connect('stored-signal');
    expect(again.credentialsVersion).to.equal(row.credentialsVersion + 1);
    await workflows.credentialsStored({ ...ref, connection: again });
    const state = await stateWhen(handle, (current) => current.expiresAt === again.expiresAt!.toISOString());
    expect(state.expiresAt).to.equal(again.expiresAt!.toISOString());
    expect(describes((await handle.fetchHistory()).events ?? [])).to.equal(2);
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(again.credentialsVersion);
  });
});
