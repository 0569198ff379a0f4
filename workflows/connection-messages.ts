/**
 * Everything that crosses the boundary of a connection workflow: its input, its messages and the
 * non-secret shapes they carry. Imported by the workflow, the activities and the API.
 * Nothing here may ever hold a token, secret or code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type ConnectionStatus = 'active' | 'degraded' | 'invalid';

/**
 * The error code of a connection whose provider refused its refresh token (`invalid_grant`) right after
 * an earlier refresh with that token went unanswered (our timeout after sending, a worker that died
 * mid-call): the provider most likely rotated the token for a response we never read. The token is gone
 * all the same, but nobody revoked anything.
 */
export const REFRESH_RESPONSE_LOST = 'refresh_response_lost';

/** What the workflow carries across continue-as-new (JSON-plain). */
export interface CarriedState {
  status: ConnectionStatus;
  lastRefreshAt: string | null;
  consecutiveFailures: number;
  lastErrorCode: string | null;
  /** A refresh-failure webhook went out and no success has happened since. */
  failureEpisodeOpen: boolean;
  /** When the next attempt may run after a transient failure (ISO), else null. */
  retryAt: string | null;
  /** Last time credentials were checked (verification modes), ISO. */
  lastVerifiedAt: string | null;
  /** When the last provider call (refresh, mint or verification) ended, success or failure (ISO); absent in runs before REFRESH_FLOOR. */
  lastProviderCallAt?: string | null;
  /** When these credentials were stored by a connect or an import (ISO); absent in runs before REFRESH_POLICY. */
  storedAt?: string | null;
  /** REFRESH_POLICY=by-use: nobody read the connection lately; the next scheduled renewal waits until then (ISO). */
  idleUntil?: string | null;
}

/**
 * The revision of the connection workflow's code that runs started today take: part of their input, so
 * history records it without an event. A run started at revision 2 or later takes every fix that earlier
 * runs took behind a patch without calling patched() (two history events each: a marker and a
 * TemporalChangeVersion upsert), and reads its row with a local activity (one marker instead of an
 * activity and a workflow task, six events). Runs started without a revision replay as recorded.
 * Workers must be upgraded before the processes that start workflows (DESIGN.md §4.1; README, "Upgrading").
 */
export const CONNECTION_WORKFLOW_REVISION = 2;

export interface ConnectionWorkflowInput {
  /** Primary key of the `connection` row. */
  connectionRowId: string;
  /** Present after continue-as-new. */
  carried?: CarriedState;
  /** The code revision the run was started under; absent in runs started before revisions (revision 1). */
  revision?: number;
}

/** The input of a new run of a connection's workflow, at today's revision. */
export function connectionWorkflowInput(connectionRowId: string, carried?: CarriedState): ConnectionWorkflowInput {
  return { connectionRowId, ...(carried ? { carried } : {}), revision: CONNECTION_WORKFLOW_REVISION };
}

/** What the `refresh` Update returns: never a credential. */
export interface RefreshResult {
  status: ConnectionStatus;
  expiresAt: string | null;
  refreshedAt: string | null;
  /** Set when this refresh failed (or the connection is invalid). */
  errorCode: string | null;
}

/** The `state` query's answer. */
export interface ConnectionState {
  status: ConnectionStatus;
  expiresAt: string | null;
  nextRefreshAt: string | null;
  lastRefreshAt: string | null;
  consecutiveFailures: number;
  lastErrorCode: string | null;
  deleted: boolean;
  runCycles: number;
}

/**
 * Who a message is for: the sender names the connection row it means. A workflow of another row
 * (a workflow id another connection still holds, see src/start/migrate-workflow-ids.ts) refuses
 * the Update and ignores the signal, so no caller ever acts on another connection's workflow.
 */
export interface ConnectionAddressee {
  connectionRowId: string;
}

/**
 * A `refresh` Update from a read that found the token due. `seenExpiresAt`: the expiry the caller read
 * (absent on a forced refresh). When the workflow has meanwhile stored credentials with another expiry
 * that are not due, it answers with them instead of calling the provider again.
 */
export interface RefreshRequest extends ConnectionAddressee {
  seenExpiresAt?: string | null;
}

/** The `type` of the failure with which a workflow refuses an Update meant for another connection row. */
export const WRONG_CONNECTION = 'wrong_connection';

/** Asks for a refresh now; concurrent callers share one. */
export const refreshUpdate = defineUpdate<RefreshResult, []>('refresh');
/** The same Update, addressed to one connection row (what the API sends). */
export const addressedRefreshUpdate = defineUpdate<RefreshResult, [RefreshRequest]>('refresh');
/**
 * What `credentialsReplaced` carries: the row, and the `credentials_version` just stored (absent from
 * signals sent before it was added). A workflow whose first read of the row already saw that version
 * has nothing to re-read: an import's signal-with-start costs one read of the row, not two.
 */
export interface CredentialsStored extends ConnectionAddressee {
  credentialsVersion?: number;
}

/** New credentials were stored by an import or a reconnect: reschedule, forget failures. */
export const credentialsReplacedSignal = defineSignal<[CredentialsStored?]>('credentialsReplaced');
/** A backend reported the credentials dead. */
export const markInvalidSignal = defineSignal<[{ reason: string }]>('markInvalid');
/** The connection was deleted: finish. */
export const deletedSignal = defineSignal<[ConnectionAddressee?]>('deleted');
export const stateQuery = defineQuery<ConnectionState>('state');

export { connectionWorkflowId } from './connection-identity';

/** The connection workflow's signature, for typed starts from the API (which never imports workflow code). */
export type ConnectionWorkflowFunction = (input: ConnectionWorkflowInput) => Promise<void>;
