/**
 * Whether a Temporal client call failed because no run of the workflow is open. Decided on the
 * SDK's error classes, never on a message (the dev server and the Java test server word them differently).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';

/** The server's failure type for an Update that was accepted by a run which then closed before finishing it. */
const ACCEPTED_UPDATE_COMPLETED_WORKFLOW = 'AcceptedUpdateCompletedWorkflow';

/**
 * No open run to take the call: the id was never started, or its last run completed, failed or was
 * terminated. The client turns the server's NOT_FOUND into WorkflowNotFoundError — for an id never
 * used ("workflow not found"), for a closed run ("workflow execution already completed") and for an
 * Update aborted because its run was closing. An Update the run had already accepted when it closed
 * fails instead with WorkflowUpdateFailedError caused by the server's `AcceptedUpdateCompletedWorkflow`.
 */
export function isMissingWorkflow(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || isUpdateFailure(error, ACCEPTED_UPDATE_COMPLETED_WORKFLOW);
}

/** Whether an Update was refused by the workflow's validator or handler with this failure type. */
export function isUpdateFailure(error: unknown, type: string): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === type;
}
