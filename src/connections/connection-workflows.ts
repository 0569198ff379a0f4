/**
 * The API's side of connection workflows: start or wake one after credentials were stored, ask it
 * for a refresh (coalesced per process, then single-flight inside the workflow), tell it about a deletion.
 * Refreshing a connection whose workflow is missing (never started, terminated by an operator)
 * brings it back with updateWithStart.
 */
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../db/entities';
import {
  connectionWorkflowId,
  credentialsReplacedSignal,
  deletedSignal,
  refreshUpdate,
  type ConnectionWorkflowInput,
  type RefreshResult,
} from '../../workflows/connection-messages';
import type { connectionWorkflow } from '../../workflows/connection-workflow';

export interface ConnectionRef {
  environment: Pick<EnvironmentEntity, 'name'>;
  integration: Pick<IntegrationEntity, 'uniqueKey' | 'provider'>;
  connection: Pick<ConnectionEntity, 'id' | 'connectionId'>;
}

export class ConnectionWorkflows {
  /** Refreshes in flight from this process, by workflow id: concurrent requests share one Update. */
  private readonly inFlight = new Map<string, Promise<RefreshResult>>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  workflowId(ref: ConnectionRef): string {
    return connectionWorkflowId(ref.environment.name, ref.integration.uniqueKey, ref.connection.connectionId);
  }

  /** After an import or a reconnect: starts the workflow, or tells the running one to reschedule. */
  async credentialsStored(ref: ConnectionRef): Promise<void> {
    await this.client.workflow.signalWithStart<typeof connectionWorkflow, []>('connectionWorkflow', {
      ...this.startOptions(ref),
      signal: credentialsReplacedSignal,
      signalArgs: [],
    });
  }

  /** Asks the connection's workflow to refresh now; shares a refresh already asked for by this process. */
  refresh(ref: ConnectionRef): Promise<RefreshResult> {
    const id = this.workflowId(ref);
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.sendRefresh(ref).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  /** The connection was deleted: its workflow finishes. A workflow that is already gone is fine. */
  async deleted(ref: ConnectionRef): Promise<void> {
    try {
      await this.client.workflow.getHandle(this.workflowId(ref)).signal(deletedSignal);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  private async sendRefresh(ref: ConnectionRef): Promise<RefreshResult> {
    // No deadline of our own: the client polls until the Update completes, and the workflow's refresh is
    // bounded by its activity (PROVIDER_TIMEOUT per attempt, 5 attempts), so a slow provider's answer reaches the caller.
    try {
      return await this.client.workflow.getHandle(this.workflowId(ref)).executeUpdate(refreshUpdate);
    } catch (error) {
      if (!isMissingWorkflow(error)) throw error;
    }
    return this.client.workflow.executeUpdateWithStart(refreshUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof connectionWorkflow>('connectionWorkflow', {
        ...this.startOptions(ref),
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  }

  private startOptions(ref: ConnectionRef) {
    const args: [ConnectionWorkflowInput] = [{ connectionRowId: ref.connection.id }];
    return { workflowId: this.workflowId(ref), taskQueue: this.taskQueue, args };
  }
}

/** No running workflow to update: never started, finished, or terminated. */
function isMissingWorkflow(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  // An Update sent to a closed run fails with "workflow execution already completed".
  return error instanceof WorkflowUpdateFailedError === false && error instanceof Error && /already completed|not found/i.test(error.message);
}
