/**
 * The API's side of connection workflows: start or wake one after credentials were stored, ask it
 * for a refresh (coalesced per process, then single-flight inside the workflow), tell it about a deletion.
 * Refreshing a connection whose workflow is missing (never started, terminated by an operator)
 * brings it back with updateWithStart. Every message names the connection row it is for, so a
 * workflow of another connection refuses or ignores it.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../db/entities';
import { CustodianError } from '../errors';
import { isMissingWorkflow, isUpdateFailure } from '../temporal/missing-workflow';
import {
  addressedRefreshUpdate,
  connectionWorkflowId,
  connectionWorkflowInput,
  credentialsReplacedSignal,
  deletedSignal,
  WRONG_CONNECTION,
  type ConnectionAddressee,
  type CredentialsStored,
  type RefreshRequest,
  type ConnectionWorkflowFunction,
  type ConnectionWorkflowInput,
  type RefreshResult,
} from '../../workflows/connection-messages';

export interface ConnectionRef {
  environment: Pick<EnvironmentEntity, 'name'>;
  integration: Pick<IntegrationEntity, 'uniqueKey'>;
  connection: Pick<ConnectionEntity, 'id' | 'connectionId'>;
}

/**
 * The connection's workflow id is still held by another connection's workflow (started under the
 * ids used before they were encoded); the start-up migration moves it away.
 */
export class WorkflowIdTakenError extends CustodianError {
  constructor(readonly workflowId: string) {
    super('workflow_migration_pending', `Workflow ${workflowId} belongs to another connection until the workflow id migration has run`);
  }
}

/** The start options of a connection's workflow, shared by the API and the start-up migration. */
export function connectionWorkflowStartOptions(ref: ConnectionRef, taskQueue: string) {
  const args: [ConnectionWorkflowInput] = [connectionWorkflowInput(ref.connection.id)];
  return { workflowId: workflowIdOf(ref), taskQueue, args };
}

function workflowIdOf(ref: ConnectionRef): string {
  return connectionWorkflowId(ref.environment.name, ref.integration.uniqueKey, ref.connection.connectionId);
}

function addresseeOf(ref: ConnectionRef): ConnectionAddressee {
  return { connectionRowId: ref.connection.id };
}

export class ConnectionWorkflows {
  /** Refreshes in flight from this process, by connection row: concurrent requests share one Update. */
  private readonly inFlight = new Map<string, Promise<RefreshResult>>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  workflowId(ref: ConnectionRef): string {
    return workflowIdOf(ref);
  }

  /** After an import or a reconnect: starts the workflow, or tells the running one to reschedule. */
  async credentialsStored(ref: ConnectionRef & { connection: Pick<ConnectionEntity, 'credentialsVersion'> }): Promise<void> {
    await this.client.workflow.signalWithStart<ConnectionWorkflowFunction, [CredentialsStored?]>('connectionWorkflow', {
      ...connectionWorkflowStartOptions(ref, this.taskQueue),
      signal: credentialsReplacedSignal,
      signalArgs: [{ ...addresseeOf(ref), credentialsVersion: ref.connection.credentialsVersion }],
    });
  }

  /**
   * Asks the connection's workflow to refresh now; shares a refresh already asked for by this process.
   * `seenExpiresAt`: the expiry the caller read; unless `forced`, credentials the workflow stored since
   * that are not due yet are the answer (no second provider call for a late Update).
   */
  refresh(ref: ConnectionRef, options: { forced: boolean; seenExpiresAt: Date | null }): Promise<RefreshResult> {
    const key = `${ref.connection.id}:${options.forced ? 'forced' : 'due'}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      const request: RefreshRequest = options.forced ? addresseeOf(ref) : { ...addresseeOf(ref), seenExpiresAt: options.seenExpiresAt?.toISOString() ?? null };
      pending = this.sendRefresh(ref, request).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The connection was deleted: its workflow finishes. A workflow that is already gone is fine. */
  async deleted(ref: ConnectionRef): Promise<void> {
    try {
      await this.client.workflow.getHandle(this.workflowId(ref)).signal(deletedSignal, addresseeOf(ref));
    } catch (error) {
      if (!isMissingWorkflow(error)) throw error;
    }
  }

  private async sendRefresh(ref: ConnectionRef, request: RefreshRequest): Promise<RefreshResult> {
    // No deadline of our own: the client polls until the Update completes, and the workflow's refresh is
    // bounded by its activity (PROVIDER_TIMEOUT per attempt, 5 attempts), so a slow provider's answer reaches the caller.
    const args: [RefreshRequest] = [request];
    try {
      try {
        return await this.client.workflow.getHandle(this.workflowId(ref)).executeUpdate(addressedRefreshUpdate, { args });
      } catch (error) {
        if (!isMissingWorkflow(error)) throw error;
      }
      return await this.client.workflow.executeUpdateWithStart(addressedRefreshUpdate, {
        args,
        startWorkflowOperation: new WithStartWorkflowOperation<ConnectionWorkflowFunction>('connectionWorkflow', {
          ...connectionWorkflowStartOptions(ref, this.taskQueue),
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    } catch (error) {
      if (isUpdateFailure(error, WRONG_CONNECTION)) throw new WorkflowIdTakenError(this.workflowId(ref));
      throw error;
    }
  }
}
