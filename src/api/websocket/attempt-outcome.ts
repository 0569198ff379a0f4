/**
 * Reads how an authorization attempt ended, from any instance. The authorization workflow's result
 * is the source of truth and the attempt row mirrors it (its activities write `succeeded` / `failed`
 * before the workflow returns); while the row is still pending (the callback stopped waiting, or the
 * workflow failed outright) the workflow itself is asked, and an unfinished one reads as the same
 * `authorization_pending` error the callback page showed.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { AuthAttemptEntity, IntegrationEntity } from '../../db/entities';
import { authorizationWorkflowId, type AuthorizationState } from '../../../workflows/authorization-messages';
import type { AuthOutcome } from './outcome-message';

const ATTEMPT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The socket an attempt reports to, or null (no such attempt, or it was started without one). */
export async function attemptSocketId(db: DataSource, attemptId: string): Promise<string | null> {
  if (!ATTEMPT_ID.test(attemptId)) return null;
  const row = await db.getRepository(AuthAttemptEntity).findOne({ where: { id: attemptId }, select: { id: true, wsClientId: true } });
  return row?.wsClientId ?? null;
}

/** The outcome to tell the browser; null when the attempt does not exist. */
export async function readAttemptOutcome(db: DataSource, temporal: Client | undefined, attemptId: string): Promise<AuthOutcome | null> {
  if (!ATTEMPT_ID.test(attemptId)) return null;
  const attempt = await db.getRepository(AuthAttemptEntity).findOne({
    where: { id: attemptId },
    select: { id: true, integrationId: true, connectionId: true, status: true, errorCode: true, errorMessage: true },
  });
  if (!attempt) return null;
  const integration = await db.getRepository(IntegrationEntity).findOne({ where: { id: attempt.integrationId }, select: { id: true, uniqueKey: true } });
  const base = { providerConfigKey: integration?.uniqueKey ?? '', connectionId: attempt.connectionId };
  if (attempt.status === 'succeeded') return { ok: true, ...base };
  if (attempt.status === 'failed') {
    return { ok: false, ...base, errorType: attempt.errorCode ?? 'authorization_failed', errorDesc: attempt.errorMessage ?? 'The connection could not be made.' };
  }
  const state = temporal ? await workflowOutcome(temporal, attemptId) : null;
  if (state?.status === 'succeeded') return { ok: true, providerConfigKey: state.providerConfigKey, connectionId: state.connectionId };
  if (state?.status === 'failed') {
    return { ok: false, ...base, errorType: state.errorCode ?? 'authorization_failed', errorDesc: state.errorMessage ?? 'The connection could not be made.' };
  }
  return { ok: false, ...base, errorType: 'authorization_pending', errorDesc: 'The provider is taking too long; try again.' };
}

/** The finished workflow's result; null while it runs; a failure when it failed or cannot be found. */
async function workflowOutcome(temporal: Client, attemptId: string): Promise<AuthorizationState | null> {
  const handle = temporal.workflow.getHandle(authorizationWorkflowId(attemptId));
  try {
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return null;
    return (await handle.result()) as AuthorizationState;
  } catch (error) {
    const message = error instanceof WorkflowFailedError ? 'The authorization failed.' : 'The outcome of this authorization is unknown.';
    return { status: 'failed', providerConfigKey: '', connectionId: '', operation: null, errorCode: 'authorization_failed', errorMessage: message };
  }
}
