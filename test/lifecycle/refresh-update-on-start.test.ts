import { expect } from 'chai';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { connectionWorkflowId, refreshUpdate, connectionWorkflowInput } from '../../workflows/connection-messages';
import type { connectionWorkflow } from '../../workflows/connection-workflow';
import { connectionRow, useLifecycleSuite } from './lifecycle-suite';

/**
 * The API refreshes a connection whose workflow is missing with updateWithStart (src/connections/connection-workflows.ts),
 * and may refresh a connection right after creating it: the Update then reaches the workflow before its first activity
 * (describeConnection) has completed.
 */
describe('refresh Update arriving with or right after the workflow start (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('accepts a refresh Update sent with updateWithStart', async () => {
    const { rig, env } = s;
    const row = await rig.connect('update-with-start');
    const workflowId = connectionWorkflowId(rig.environment.name, rig.integration.uniqueKey, row.connectionId);
    const result = await env.client.workflow.executeUpdateWithStart(refreshUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof connectionWorkflow>('connectionWorkflow', {
        taskQueue: rig.taskQueue,
        workflowId,
        args: [connectionWorkflowInput(row.id)],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    expect(result).to.include({ status: 'active', errorCode: null });
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(row.credentialsVersion + 1);
  });

  it('accepts a refresh Update sent right after the workflow started', async () => {
    const { rig, env } = s;
    const row = await rig.connect('update-after-start');
    const { workflowId } = await rig.startWorkflow(row);
    const result = await env.client.workflow.getHandle(workflowId).executeUpdate(refreshUpdate);
    expect(result).to.include({ status: 'active', errorCode: null });
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(row.credentialsVersion + 1);
  });
});
