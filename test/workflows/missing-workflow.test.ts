import { expect } from 'chai';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ConnectionWorkflows } from '../../src/connections/connection-workflows';
import { isMissingWorkflow, isUpdateFailure } from '../../src/temporal/missing-workflow';
import { addressedRefreshUpdate, deletedSignal, refreshUpdate, stateQuery, WRONG_CONNECTION } from '../../workflows/connection-messages';
import { realDelay, waitForState } from '../lifecycle/lifecycle-suite';
import { startLifecycle, type Lifecycle } from '../support/lifecycle';
import { createDevServerEnv } from '../support/temporal-env';

/** The error a promise rejects with (null when it resolves), so assertions stay outside any catch. */
function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => null, (error: unknown) => error);
}

/** Waits (bounded) until a workflow task completed after the last signal in the history: the handler ran. */
async function signalProcessed(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const events = (await handle.fetchHistory()).events ?? [];
    const signalAt = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes);
    if (signalAt >= 0 && events.slice(signalAt).some((e) => e.workflowTaskCompletedEventAttributes)) return;
    await realDelay(50);
  }
  throw new Error('the signal was not processed within 5 s');
}

describe('isMissingWorkflow: what the client throws when no run is open (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: Lifecycle;
  let running: Promise<void>;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startLifecycle({ env });
    running = rig.worker.run();
  });
  after(async () => {
    rig?.worker.shutdown();
    await running;
    await rig?.close();
    await env?.teardown();
  });
  beforeEach(() => rig.provider.reset());

  /**
   * A connection with its workflow started and past its first load: a deleted signal that arrives
   * during that load is overwritten by its result (reported separately).
   */
  async function startedConnection(connectionId: string) {
    const row = await rig.connect(connectionId);
    const { workflowId } = await rig.startWorkflow(row);
    const handle = env.client.workflow.getHandle(workflowId);
    for (let i = 0; i < 100 && (await waitForState(handle)).expiresAt === null; i += 1) await realDelay(50);
    return { row, workflowId, handle };
  }

  it('an Update to an id never started is a missing workflow (WorkflowNotFoundError)', async () => {
    const error = await failureOf(env.client.workflow.getHandle('connection:dev:fake:never-started').executeUpdate(refreshUpdate));
    expect(error).to.be.instanceOf(WorkflowNotFoundError);
    expect(isMissingWorkflow(error)).to.equal(true);
  });

  it('an Update to a run that completed is a missing workflow (WorkflowNotFoundError)', async () => {
    const { row, handle } = await startedConnection('completed');
    await handle.signal(deletedSignal, { connectionRowId: row.id });
    await handle.result();
    const error = await failureOf(handle.executeUpdate(refreshUpdate));
    expect(error).to.be.instanceOf(WorkflowNotFoundError);
    expect(isMissingWorkflow(error)).to.equal(true);
  });

  it('an Update to a terminated run is a missing workflow (WorkflowNotFoundError)', async () => {
    const { handle } = await startedConnection('terminated');
    await handle.terminate('test');
    const error = await failureOf(handle.executeUpdate(refreshUpdate));
    expect(error).to.be.instanceOf(WorkflowNotFoundError);
    expect(isMissingWorkflow(error)).to.equal(true);
  });

  it('an Update already accepted when its run is terminated is a missing workflow (WorkflowUpdateFailedError, AcceptedUpdateCompletedWorkflow)', async () => {
    const { handle } = await startedConnection('closed-under-update');
    rig.provider.knobs.latencyMs = 3_000;
    const update = failureOf(handle.executeUpdate(refreshUpdate));
    for (let i = 0; i < 100 && rig.provider.tokenCalls('refresh_token').length === 0; i += 1) await realDelay(50);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
    await handle.terminate('test');
    const error = await update;
    expect(error).to.be.instanceOf(WorkflowUpdateFailedError);
    expect(isMissingWorkflow(error)).to.equal(true);
  });

  it('an Update refused by a running workflow (addressed to another row) is not a missing workflow', async () => {
    const { handle } = await startedConnection('refuses');
    const error = await failureOf(handle.executeUpdate(addressedRefreshUpdate, { args: [{ connectionRowId: '00000000-0000-4000-8000-000000000000' }] }));
    expect(error).to.be.instanceOf(WorkflowUpdateFailedError);
    expect(isMissingWorkflow(error)).to.equal(false);
    expect(isUpdateFailure(error, WRONG_CONNECTION)).to.equal(true);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(0);
  });

  it('a deleted signal naming another row leaves the workflow running', async () => {
    const { handle } = await startedConnection('ignores-signal');
    await handle.signal(deletedSignal, { connectionRowId: '00000000-0000-4000-8000-000000000000' });
    await signalProcessed(handle);
    expect((await handle.query(stateQuery)).deleted).to.equal(false);
    expect((await handle.describe()).status.name).to.equal('RUNNING');
  });

  it('ConnectionWorkflows.refresh brings back a terminated workflow with a new run and refreshes', async () => {
    const { row, handle } = await startedConnection('revived');
    const firstRun = (await handle.describe()).runId;
    await handle.terminate('test');
    const result = await new ConnectionWorkflows(env.client, rig.taskQueue).refresh({ environment: rig.environment, integration: rig.integration, connection: row }, { forced: false, seenExpiresAt: row.expiresAt });
    expect(result.errorCode).to.equal(null);
    expect(result.status).to.equal('active');
    const revived = await env.client.workflow.getHandle(handle.workflowId).describe();
    expect(revived.status.name).to.equal('RUNNING');
    expect(revived.runId).to.not.equal(firstRun);
    expect(rig.provider.tokenCalls('refresh_token')).to.have.length(1);
  });
});
