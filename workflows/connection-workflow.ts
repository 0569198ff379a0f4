/**
 * One durable workflow per connection (DESIGN.md §4.1). It sleeps until shortly before the token
 * expires, refreshes it through an activity, shares one refresh among concurrent `refresh` Updates,
 * stops calling the provider once the credentials are invalid, and ends when the connection is deleted.
 * Only ids, dates, counts and error codes pass through here: credentials stay in the database.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/connection-activities';
import type { ConnectionSnapshot, ConnectionWebhookInput, RefreshOutcome } from '../activities/connection-activity-types';
import {
  REFRESH_RESPONSE_LOST,
  addressedRefreshUpdate,
  credentialsReplacedSignal,
  deletedSignal,
  markInvalidSignal,
  stateQuery,
  WRONG_CONNECTION,
  type CarriedState,
  type ConnectionAddressee,
  type ConnectionWorkflowInput,
  type RefreshResult,
} from './connection-messages';
import { refreshAtMs, retryDelayMs } from './connection-schedule';
import { startWebhookDeliveries } from './webhook-delivery-workflow';

/** Patch id: a `deleted` signal received while the row is first loaded is no longer overwritten by the load. */
const KEEP_DELETED_SIGNAL_DURING_LOAD = 'keep-deleted-signal-during-load';

/** Patch id: a `refresh` Update less than REFRESH_FLOOR after the last provider call answers without calling the provider. */
const REFRESH_FLOOR_PATCH = 'refresh-floor';

/** Cycles (refreshes, verifications, signals) per run before continuing as new: keeps each history well under 2,000 events. */
export const CYCLES_PER_RUN = 40;

const { describeConnection, markConnectionInvalid, prepareConnectionWebhook, recordRefreshFailure } = proxyActivities<ConnectionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

// The provider call: a few quick retries for blips; longer outages are paced by the workflow (retryDelayMs).
const { refreshCredentials } = proxyActivities<ConnectionActivities>({
  // Above the longest a provider call may take (MAX_PROVIDER_TIMEOUT_MS, 5 min) plus the attempt's database
  // work: Temporal never retries an attempt whose call is still waiting on the provider, since that retry
  // would send the same rotating refresh token while the first may still be processed.
  startToCloseTimeout: '10 minutes',
  // The activity heartbeats every second while it waits on the provider: a crashed worker's attempt is retried after 5 s.
  heartbeatTimeout: '5 seconds',
  // The first retry comes 1 s after an attempt whose answer was lost: the same refresh token again, within a provider's reuse interval.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const INITIAL_STATE: CarriedState = {
  status: 'active',
  lastRefreshAt: null,
  consecutiveFailures: 0,
  lastErrorCode: null,
  failureEpisodeOpen: false,
  retryAt: null,
  lastVerifiedAt: null,
  lastProviderCallAt: null,
};

export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<void> {
  const { connectionRowId } = input;
  const state: CarriedState = { ...INITIAL_STATE, ...input.carried };
  let snapshot: ConnectionSnapshot | null = null;
  let deleted = false;
  // Handlers are registered before the first await so an Update or signal that started this run is not rejected.
  const initialLoad = describeConnection({ connectionRowId }).then((loaded) => {
    snapshot = loaded;
    // A `deleted` signal that arrived during the load (signal-with-start, or right after the start) must stand;
    // runs recorded before this fix replay the old assignment.
    if (patched(KEEP_DELETED_SIGNAL_DURING_LOAD)) deleted ||= loaded === null;
    else deleted = loaded === null;
    if (loaded) state.status = loaded.status;
  });
  let replaced = false;
  let rescheduled = false;
  let invalidReported: string | null = null;
  let inFlight: Promise<RefreshResult> | null = null;
  let cycles = 0;

  const expiresAt = (): string | null => snapshot?.expiresAt ?? null;
  const nextRefreshAt = (): number | null => (snapshot ? nextAttemptAt(snapshot, state, connectionRowId) : null);

  const result = (errorCode: string | null): RefreshResult => ({
    status: state.status,
    expiresAt: expiresAt(),
    refreshedAt: state.lastRefreshAt,
    errorCode,
  });

  /** One refresh at a time: a caller arriving while one runs gets that one's result. */
  const refreshOnce = (): Promise<RefreshResult> => {
    inFlight ??= runRefresh().finally(() => {
      inFlight = null;
      // The expiry (or status) changed: the main loop recomputes its wait and republishes the search attributes.
      rescheduled = true;
    });
    return inFlight;
  };

  /**
   * What a `refresh` Update gets: the running refresh's result, or — less than the floor after the last
   * provider call — the current state with that call's error (null after a success), so a loop of
   * forced reads cannot hammer the provider. Scheduled refreshes do not pass through here.
   */
  const requestedRefresh = (): Promise<RefreshResult> => {
    if (inFlight) return inFlight;
    const last = state.lastProviderCallAt ?? null;
    const floorMs = snapshot?.refreshFloorMs ?? 0;
    if (last !== null && Date.now() - Date.parse(last) < floorMs && patched(REFRESH_FLOOR_PATCH)) {
      return Promise.resolve(result(state.status === 'invalid' ? (state.lastErrorCode ?? 'invalid_credentials') : state.lastErrorCode));
    }
    return refreshOnce();
  };

  async function runRefresh(): Promise<RefreshResult> {
    await initialLoad;
    if (!snapshot) return result('connection_deleted');
    if (state.status === 'invalid') return result(state.lastErrorCode ?? 'invalid_credentials');
    let outcome: RefreshOutcome;
    try {
      outcome = await refreshCredentials({ connectionRowId, nowMs: Date.now() });
    } catch (error) {
      state.lastProviderCallAt = new Date(Date.now()).toISOString();
      await onTransientFailure(error);
      return result(state.lastErrorCode);
    }
    state.lastProviderCallAt = new Date(Date.now()).toISOString();
    return onOutcome(outcome);
  }

  async function onOutcome(outcome: RefreshOutcome): Promise<RefreshResult> {
    switch (outcome.result) {
      case 'gone':
        deleted = true;
        return result('connection_deleted');
      case 'invalid':
        state.status = 'invalid';
        state.lastErrorCode = outcome.errorCode;
        state.retryAt = null;
        await notifyFailure(
          outcome.errorCode,
          outcome.errorCode === REFRESH_RESPONSE_LOST
            ? 'The provider no longer accepts the refresh token: it rotated it for a refresh whose answer was lost'
            : 'The provider rejected the credentials',
        );
        return result(outcome.errorCode);
      case 'superseded':
        snapshot = await describeConnection({ connectionRowId });
        if (!snapshot) deleted = true;
        else await onSuccess(snapshot.expiresAt, state.lastRefreshAt);
        return result(null);
      case 'refreshed':
        await onSuccess(outcome.expiresAt, outcome.refreshedAt);
        return result(null);
      case 'verified':
        state.lastVerifiedAt = outcome.verifiedAt;
        await onSuccess(outcome.expiresAt, state.lastRefreshAt);
        return result(null);
    }
  }

  async function onSuccess(newExpiresAt: string | null, refreshedAt: string | null): Promise<void> {
    if (snapshot) snapshot = { ...snapshot, expiresAt: newExpiresAt, status: 'active' };
    const recovering = state.failureEpisodeOpen;
    Object.assign(state, { status: 'active', lastRefreshAt: refreshedAt, consecutiveFailures: 0, lastErrorCode: null, retryAt: null, failureEpisodeOpen: false });
    if (recovering) await sendWebhook({ connectionRowId, kind: 'refresh_recovered' });
  }

  async function onTransientFailure(error: unknown): Promise<void> {
    const { code, message, retryAfterMs } = failureDetails(error);
    state.consecutiveFailures += 1;
    state.lastErrorCode = code;
    const now = Date.now();
    state.retryAt = new Date(now + Math.max(retryDelayMs(state.consecutiveFailures), retryAfterMs ?? 0)).toISOString();
    const expiry = expiresAt();
    const expired = expiry !== null && Date.parse(expiry) <= now;
    if (expired) state.status = 'degraded';
    await recordRefreshFailure({ connectionRowId, nowMs: now, errorCode: code, message, degraded: expired });
    // A blip while the token is still valid bothers nobody; a dead token does.
    if (expired) await notifyFailure(code, message);
  }

  /** The token's expiry, when it falls inside a back-off after a failed attempt and the connection is not yet degraded. */
  function expiryDuringBackoff(): number | null {
    const expiry = expiresAt();
    if (state.retryAt === null || expiry === null || state.status !== 'active') return null;
    const expiryMs = Date.parse(expiry);
    return expiryMs < Date.parse(state.retryAt) ? expiryMs : null;
  }

  /** The token expired while waiting to retry (a long Retry-After, a long outage): say so now, not at the next attempt. */
  async function onExpiredWhileWaiting(): Promise<void> {
    const code = state.lastErrorCode ?? 'refresh_failed';
    state.status = 'degraded';
    await recordRefreshFailure({ connectionRowId, nowMs: Date.now(), errorCode: code, message: 'The token expired before the provider could be asked again', degraded: true });
    await notifyFailure(code, 'The token expired before the provider could be asked again');
  }

  async function notifyFailure(errorCode: string, errorMessage: string): Promise<void> {
    if (state.failureEpisodeOpen) return;
    state.failureEpisodeOpen = true;
    await sendWebhook({ connectionRowId, kind: 'refresh_failed', errorCode, errorMessage });
  }

  /** Webhooks go out through their own workflow so a slow receiver never holds up a refresh. */
  async function sendWebhook(webhook: ConnectionWebhookInput): Promise<void> {
    await startWebhookDeliveries(await prepareConnectionWebhook(webhook));
  }

  /** A message that names another connection row was meant for another workflow (ids before encoding could be shared). */
  const forAnotherRow = (addressee: ConnectionAddressee | undefined): boolean =>
    typeof addressee?.connectionRowId === 'string' && addressee.connectionRowId !== connectionRowId;

  setHandler(addressedRefreshUpdate, () => requestedRefresh(), {
    validator: (addressee?: ConnectionAddressee) => {
      if (forAnotherRow(addressee)) throw ApplicationFailure.create({ type: WRONG_CONNECTION, message: 'this workflow belongs to another connection', nonRetryable: true });
      if (deleted) throw new Error('connection_deleted');
    },
  });
  setHandler(credentialsReplacedSignal, (addressee) => {
    if (forAnotherRow(addressee)) return;
    replaced = true;
  });
  setHandler(markInvalidSignal, ({ reason }) => {
    invalidReported = reason;
  });
  setHandler(deletedSignal, (addressee) => {
    if (forAnotherRow(addressee)) return;
    deleted = true;
  });
  setHandler(stateQuery, () => {
    const next = nextRefreshAt();
    return {
      status: state.status,
      expiresAt: expiresAt(),
      nextRefreshAt: next === null ? null : new Date(next).toISOString(),
      lastRefreshAt: state.lastRefreshAt,
      consecutiveFailures: state.consecutiveFailures,
      lastErrorCode: state.lastErrorCode,
      deleted,
      runCycles: cycles,
    };
  });

  await initialLoad;
  let published = '';
  if (snapshot) published = publish(snapshot, nextRefreshAt(), published);

  while (!deleted) {
    const next = nextRefreshAt();
    const degradeAt = expiryDuringBackoff();
    rescheduled = false;
    const due = await sleepUntil(earliest(next, degradeAt), () => deleted || replaced || invalidReported !== null || rescheduled);
    if (deleted) break;
    if (replaced) {
      replaced = false;
      snapshot = await describeConnection({ connectionRowId });
      if (!snapshot) break;
      Object.assign(state, { ...INITIAL_STATE, status: snapshot.status });
    } else if (invalidReported !== null) {
      const reason = invalidReported;
      invalidReported = null;
      await markConnectionInvalid({ connectionRowId, reason });
      state.status = 'invalid';
      state.lastErrorCode = 'reported_invalid';
      await notifyFailure('reported_invalid', reason);
    } else if (due && degradeAt !== null && Date.now() >= degradeAt && (next === null || Date.now() < next)) {
      await onExpiredWhileWaiting();
    } else if (due) {
      await refreshOnce();
    }
    // Otherwise a refresh asked for by an Update just finished: nothing to do but reschedule.
    if (snapshot) published = publish({ ...snapshot, status: state.status }, nextRefreshAt(), published);
    cycles += 1;
    if (cycles >= CYCLES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (deleted) break;
      log.info('continuing as new', { cycles });
      await continueAsNew<typeof connectionWorkflow>({ connectionRowId, carried: { ...state } });
    }
  }
  await condition(allHandlersFinished);
}

/** Next time to act, or null to wait for a message only. */
function nextAttemptAt(snapshot: ConnectionSnapshot, state: CarriedState, seed: string): number | null {
  if (state.status === 'invalid') return null;
  if (state.retryAt !== null) return Date.parse(state.retryAt);
  switch (snapshot.upkeep) {
    case 'refresh':
    case 'mint': {
      if (snapshot.expiresAt === null) return null;
      const expiry = Date.parse(snapshot.expiresAt);
      // Without a refresh token nothing can be done early: act at expiry so the loss is reported.
      if (snapshot.upkeep === 'refresh' && !snapshot.hasRefreshToken) return expiry;
      return refreshAtMs(expiry, snapshot.marginMs, seed);
    }
    case 'verify': {
      const last = state.lastVerifiedAt ?? state.lastRefreshAt;
      return last === null ? Date.now() + snapshot.verifyIntervalMs : Date.parse(last) + snapshot.verifyIntervalMs;
    }
    case 'none':
      return null;
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Waits until `atMs` (true) or until `wake()` holds (false). */
async function sleepUntil(atMs: number | null, wake: () => boolean): Promise<boolean> {
  if (atMs === null) {
    await condition(wake);
    return false;
  }
  const delay = atMs - Date.now();
  if (delay <= 0) return true;
  const woken = await condition(wake, delay);
  return !woken;
}

/**
 * Keeps the Web UI's filters and memo current, writing only what changed (each write is a history event).
 * Returns what is now published, to pass back next time.
 */
function publish(snapshot: ConnectionSnapshot, nextAt: number | null, previous: string): string {
  const attributes = {
    CustodianEnvironment: [snapshot.environment],
    CustodianIntegration: [snapshot.integration],
    CustodianProvider: [snapshot.provider],
    CustodianConnectionId: [snapshot.connectionId],
    CustodianAuthMode: [snapshot.authMode],
    CustodianStatus: [snapshot.status],
    CustodianEndUserId: snapshot.endUserId === null ? [] : [snapshot.endUserId],
    CustodianExpiresAt: snapshot.expiresAt === null ? [] : [new Date(snapshot.expiresAt)],
    CustodianNextRefreshAt: nextAt === null ? [] : [new Date(nextAt)],
  };
  const memo = { integrationDisplayName: snapshot.integrationDisplayName, endUserDisplayName: snapshot.endUserDisplayName };
  const [lastAttributes, lastMemo] = previous === '' ? ['', ''] : (JSON.parse(previous) as [string, string]);
  const [attributesText, memoText] = [JSON.stringify(attributes), JSON.stringify(memo)];
  if (attributesText !== lastAttributes) upsertSearchAttributes(attributes);
  if (memoText !== lastMemo) upsertMemo(memo);
  return JSON.stringify([attributesText, memoText]);
}

function failureDetails(error: unknown): { code: string; message: string; retryAfterMs?: number } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { retryAfterMs?: unknown } | undefined;
    const retryAfterMs = typeof detail?.retryAfterMs === 'number' ? detail.retryAfterMs : undefined;
    return { code: cause.type ?? 'refresh_failed', message: cause.message, retryAfterMs };
  }
  return { code: 'refresh_failed', message: error instanceof Error ? error.message : 'refresh failed' };
}
