import { expect } from 'chai';
import { temporal } from '@temporalio/proto';
import { ConnectionWorkflows } from '../../src/connections/connection-workflows';
import type { WorkflowHandle } from '@temporalio/client';
import { connectionWorkflowId, type ConnectionState } from '../../workflows/connection-messages';
import { activityRuns, type HistoryEvent } from '../support/workflow-history';
import { connectionRow, importDue, useLifecycleSuite, waitForState } from './lifecycle-suite';

/** The state query's answer once `ready` holds (10 s at most). */
async function stateWhen(handle: WorkflowHandle, ready: (state: ConnectionState) => boolean): Promise<ConnectionState> {
  let state = await waitForState(handle);
  for (let i = 0; i < 100 && !ready(state); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    state = await waitForState(handle);
  }
  return state;
}

const describes = (events: HistoryEvent[]) => activityRuns(events, 'describeConnection');

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

  it('an import of a token already due (a refresh storm) costs 15 history events up to its next timer (the storm bench’s baseline workflow: 11): no patch marker, the row read by a local activity', async () => {
    const { rig } = s;
    const { row, handle } = await importDue(s, 'imported-due');
    // Only the history is read: a query would add workflow tasks to it on the time-skipping server.
    let events: HistoryEvent[] = [];
    for (let i = 0; i < 200 && !events.some((e) => e.timerStartedEventAttributes); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events = (await handle.fetchHistory()).events ?? [];
    }
    const untilTimer = events.slice(0, events.findIndex((e) => e.timerStartedEventAttributes) + 1);
    expect(untilTimer.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).to.have.length(0);
    expect(describes(untilTimer)).to.equal(1);
    expect(activityRuns(untilTimer, 'refreshCredentials')).to.equal(1);
    expect(untilTimer.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes), 'search attributes published once, after the refresh').to.have.length(1);
    const T = temporal.api.enums.v1.EventType;
    expect(untilTimer.map((e) => T[e.eventType!])).to.deep.equal([
      ...['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED'],
      ...['MARKER_RECORDED', 'ACTIVITY_TASK_SCHEDULED', 'ACTIVITY_TASK_STARTED', 'ACTIVITY_TASK_COMPLETED'],
      ...['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_PROPERTIES_MODIFIED', 'TIMER_STARTED'],
    ].map((name) => `EVENT_TYPE_${name}`));
    expect((await connectionRow(rig, row.id)).credentialsVersion).to.equal(row.credentialsVersion + 1);
  });
});
