import { expect } from 'chai';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { realDelay, useLifecycleSuite } from './lifecycle-suite';
import { connectionWorkflowId, deletedSignal, refreshUpdate, connectionWorkflowInput } from '../../workflows/connection-messages';

describe('connection workflow: deletion (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite({ knobs: { latencyMs: 1_500 } });

  it('lets the refresh in flight finish, rejects new refresh Updates, and ends', async () => {
    const { rig, env } = s;
    const row = await rig.connect('deleted');
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    const inFlight = handle.executeUpdate(refreshUpdate);
    // The refresh is at the provider (1.5 s latency) before the deletion arrives: a fixed pause lost that race on a loaded machine.
    while (rig.provider.tokenCalls('refresh_token').length === 0) await realDelay(20);
    await handle.signal(deletedSignal);
    await realDelay(200);
    const late = await handle.executeUpdate(refreshUpdate).then(
      () => null,
      (error: unknown) => error,
    );
    expect(late).to.be.instanceOf(WorkflowUpdateFailedError);
    expect(String((late as Error).cause)).to.include('connection_deleted');
    expect((await inFlight).errorCode).to.equal(null);
    await handle.result();
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
  });

  it('ends when the deleted signal arrives with its start, before the row is loaded (signal-with-start)', async () => {
    const { rig, env } = s;
    const row = await rig.connect('deleted-at-start');
    const workflowId = connectionWorkflowId('dev', 'fake', row.connectionId);
    const refreshesBefore = rig.provider.tokenCalls('refresh_token').length;
    const handle = await env.client.workflow.signalWithStart('connectionWorkflow', {
      taskQueue: rig.taskQueue,
      workflowId,
      args: [connectionWorkflowInput(row.id)],
      signal: deletedSignal,
      signalArgs: [{ connectionRowId: row.id }],
    });
    await handle.result();
    expect((await handle.describe()).status.name).to.equal('COMPLETED');
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(refreshesBefore);
  });
});
