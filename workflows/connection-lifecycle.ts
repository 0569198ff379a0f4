/**
 * The state of one connection workflow and what each event does to it: the outcomes of renewals, the
 * messages, the schedule and what is published to the Web UI. The workflow (connection-workflow.ts) only
 * waits and dispatches. Only ids, dates, counts and error codes live here: credentials stay in the database.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyActivities, proxyLocalActivities, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/connection-activities';
import type { ConnectionSnapshot, ConnectionWebhookInput, RefreshOutcome } from '../activities/connection-activity-types';
import { REFRESH_RESPONSE_LOST, WRONG_CONNECTION, connectionWorkflowInput, type CarriedState, type ConnectionAddressee, type ConnectionState, type CredentialsStored, type ConnectionWorkflowInput, type RefreshRequest, type RefreshResult } from './connection-messages';
import { earliest, expiryDuringBackoff, nextAttemptAt, retryDelayMs } from './connection-schedule';
import { startWebhookDeliveries } from './webhook-delivery-workflow';

/** Patch id: a `deleted` signal received while the row is first loaded is no longer overwritten by the load. */
const KEEP_DELETED_SIGNAL_DURING_LOAD = 'keep-deleted-signal-during-load';

/** Patch id: a `refresh` Update less than REFRESH_FLOOR after the last provider call answers without calling the provider. */
const REFRESH_FLOOR_PATCH = 'refresh-floor';

/** Patch id: a read's `refresh` Update that saw an older expiry than the stored, not-yet-due one answers without calling the provider. */
const SEEN_EXPIRY_PATCH = 'refresh-seen-expiry';

/** Patch id: a `credentialsReplaced` signal whose version the run's first read of the row already saw needs no second read. */
const STORED_BEFORE_LOAD_PATCH = 'credentials-stored-before-load';

/** Cycles (refreshes, verifications, signals) per run before continuing as new: keeps each history well under 2,000 events. */
export const CYCLES_PER_RUN = 40;

/** The revision whose runs take the patched fixes above without a marker (CONNECTION_WORKFLOW_REVISION). */
const PATCHES_BUILT_IN = 2;

const DATABASE_STEP = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
} as const;

const { describeConnection, markConnectionInvalid, prepareConnectionWebhook, recordRefreshFailure } = proxyActivities<ConnectionActivities>(DATABASE_STEP);

// Reading the row is a local activity from revision 2: a marker in the same workflow task, not three activity events and another task.
const local = proxyLocalActivities<ConnectionActivities>(DATABASE_STEP);

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

/** Why a renewal runs: the schedule (which leaves an idle connection alone under by-use) or a caller's Update. */
type Trigger = 'scheduled' | 'requested';

/** How a renewal ended: its result, and whether a scheduled one found the connection idle and sent nothing. */
interface Renewal {
  result: RefreshResult;
  foundIdle: boolean;
}

/** What the main loop waits for, computed before each wait. */
interface Plan {
  next: number | null;
  degradeAt: number | null;
}

export class ConnectionLifecycle {
  readonly rowId: string;
  /** Started at revision 2 or later: the patched fixes without markers, the row read locally (CONNECTION_WORKFLOW_REVISION). */
  private readonly patchesBuiltIn: boolean;
  private readonly state: CarriedState;
  private snapshot: ConnectionSnapshot | null = null;
  deleted = false;
  private replaced = false;
  /** The highest `credentials_version` a `credentialsReplaced` signal of this run announced. */
  private announcedVersion: number | null = null;
  private rescheduled = false;
  private invalidReported: string | null = null;
  private inFlight: Promise<Renewal> | null = null;
  private cycles = 0;
  private published = '';
  /** Resolves once the row has been read at the start of this run. */
  readonly loaded: Promise<void>;

  constructor(input: ConnectionWorkflowInput) {
    this.rowId = input.connectionRowId;
    this.patchesBuiltIn = (input.revision ?? 1) >= PATCHES_BUILT_IN;
    // A workflow started without carried state was started for new credentials: they are stored now.
    this.state = { ...INITIAL_STATE, storedAt: new Date(Date.now()).toISOString(), ...input.carried };
    this.loaded = this.describe().then((loaded) => {
      this.snapshot = loaded;
      // A `deleted` signal that arrived during the load (signal-with-start, or right after the start) must stand;
      // runs recorded before this fix replay the old assignment.
      if (this.fixed(KEEP_DELETED_SIGNAL_DURING_LOAD)) this.deleted ||= loaded === null;
      else this.deleted = loaded === null;
      if (loaded) this.state.status = loaded.status;
      if (loaded && this.sawAnnounced(loaded) && this.fixed(STORED_BEFORE_LOAD_PATCH)) {
        this.replaced = false;
        this.forgetOldCredentials(loaded);
      }
    });
  }

  // ---- messages ----

  /** Update validator: refuses an Update meant for another row, or for a deleted connection. */
  acceptRefresh(addressee?: ConnectionAddressee): void {
    if (this.forAnotherRow(addressee)) throw ApplicationFailure.create({ type: WRONG_CONNECTION, message: 'this workflow belongs to another connection', nonRetryable: true });
    if (this.deleted) throw new Error('connection_deleted');
  }

  /**
   * What a `refresh` Update gets: the running refresh's result, or — less than the floor after the last
   * provider call — the current state with that call's error (null after a success), so a loop of
   * forced reads cannot hammer the provider. A scheduled renewal that found the connection idle sent
   * nothing: the caller then gets a refresh of its own.
   */
  async requestedRefresh(request?: RefreshRequest): Promise<RefreshResult> {
    if (this.inFlight) {
      const { result, foundIdle } = await this.inFlight;
      if (!foundIdle) return result;
    }
    // The read that sent this saw credentials older than those stored since (an Update that arrived late).
    if (request?.seenExpiresAt !== undefined && this.renewedSince(request.seenExpiresAt) && this.fixed(SEEN_EXPIRY_PATCH)) return this.result(null);
    const last = this.state.lastProviderCallAt ?? null;
    const floorMs = this.snapshot?.refreshFloorMs ?? 0;
    if (last !== null && Date.now() - Date.parse(last) < floorMs && this.fixed(REFRESH_FLOOR_PATCH)) {
      return this.result(this.state.status === 'invalid' ? (this.state.lastErrorCode ?? 'invalid_credentials') : this.state.lastErrorCode);
    }
    return this.renewOnce('requested');
  }

  onReplaced(stored?: CredentialsStored): void {
    if (this.forAnotherRow(stored)) return;
    this.replaced = true;
    if (typeof stored?.credentialsVersion === 'number') this.announcedVersion = Math.max(this.announcedVersion ?? 0, stored.credentialsVersion);
  }

  onReportedInvalid(reason: string): void {
    this.invalidReported = reason;
  }

  onDeleted(addressee?: ConnectionAddressee): void {
    if (!this.forAnotherRow(addressee)) this.deleted = true;
  }

  view(): ConnectionState {
    const next = this.nextRefreshAt();
    return {
      status: this.state.status,
      expiresAt: this.expiresAt(),
      nextRefreshAt: next === null ? null : new Date(next).toISOString(),
      lastRefreshAt: this.state.lastRefreshAt,
      consecutiveFailures: this.state.consecutiveFailures,
      lastErrorCode: this.state.lastErrorCode,
      deleted: this.deleted,
      runCycles: this.cycles,
    };
  }

  // ---- the main loop's steps ----

  /** Waits until the next scheduled step, or until a message or a finished Update changes the plan. */
  async waitForNextStep(): Promise<{ due: boolean; plan: Plan }> {
    const plan = this.plan();
    this.rescheduled = false;
    const due = await sleepUntil(earliest(plan.next, plan.degradeAt), () => this.deleted || this.replaced || this.invalidReported !== null || this.rescheduled);
    return { due, plan };
  }

  /** Handles what woke the loop. Otherwise a refresh asked for by an Update just finished: nothing to do but reschedule. */
  async step({ due, plan }: { due: boolean; plan: Plan }): Promise<void> {
    const now = Date.now();
    if (this.replaced) await this.onCredentialsReplaced();
    else if (this.invalidReported !== null) await this.onInvalidReported(this.invalidReported);
    else if (due && plan.degradeAt !== null && now >= plan.degradeAt && (plan.next === null || now < plan.next)) await this.onExpiredWhileWaiting();
    else if (due) await this.renewOnce('scheduled');
    this.cycles += 1;
  }

  /** Whether this run's history is long enough to continue as new. */
  get runIsFull(): boolean {
    return this.cycles >= CYCLES_PER_RUN || workflowInfo().continueAsNewSuggested;
  }

  carried(): ConnectionWorkflowInput {
    // The next run has no history to replay: it takes today's revision whatever this one was started under.
    return connectionWorkflowInput(this.rowId, { ...this.state });
  }

  /**
   * After the run's first read: publishes, unless (from revision 2) a step is due at once and will publish
   * when it ends. A connection imported already due (a refresh storm) saves two history events.
   */
  publishUnlessDue(): void {
    const { next, degradeAt } = this.plan();
    const stepAt = earliest(next, degradeAt);
    if (this.patchesBuiltIn && !this.deleted && stepAt !== null && stepAt <= Date.now()) return;
    this.publish();
  }

  /**
   * Keeps the Web UI's filters and memo current, writing only what changed (each write is a history event).
   */
  publish(): void {
    if (!this.snapshot) return;
    const snapshot = { ...this.snapshot, status: this.state.status };
    const next = this.nextRefreshAt();
    const attributes = {
      CustodianEnvironment: [snapshot.environment],
      CustodianIntegration: [snapshot.integration],
      CustodianProvider: [snapshot.provider],
      CustodianConnectionId: [snapshot.connectionId],
      CustodianAuthMode: [snapshot.authMode],
      CustodianStatus: [snapshot.status],
      CustodianEndUserId: snapshot.endUserId === null ? [] : [snapshot.endUserId],
      CustodianExpiresAt: snapshot.expiresAt === null ? [] : [new Date(snapshot.expiresAt)],
      CustodianNextRefreshAt: next === null ? [] : [new Date(next)],
    };
    const memo = { integrationDisplayName: snapshot.integrationDisplayName, endUserDisplayName: snapshot.endUserDisplayName };
    const [lastAttributes, lastMemo] = this.published === '' ? ['', ''] : (JSON.parse(this.published) as [string, string]);
    const [attributesText, memoText] = [JSON.stringify(attributes), JSON.stringify(memo)];
    if (attributesText !== lastAttributes) upsertSearchAttributes(attributes);
    if (memoText !== lastMemo) upsertMemo(memo);
    this.published = JSON.stringify([attributesText, memoText]);
  }

  // ---- renewals and their outcomes ----

  /** One renewal at a time: a caller arriving while one runs gets that one's result. */
  private async renewOnce(trigger: Trigger): Promise<RefreshResult> {
    this.inFlight ??= this.renew(trigger).finally(() => {
      this.inFlight = null;
      // The expiry (or status) changed: the main loop recomputes its wait and republishes the search attributes.
      this.rescheduled = true;
    });
    return (await this.inFlight).result;
  }

  private async renew(trigger: Trigger): Promise<Renewal> {
    const notIdle = (result: RefreshResult): Renewal => ({ result, foundIdle: false });
    await this.loaded;
    if (!this.snapshot) return notIdle(this.result('connection_deleted'));
    if (this.state.status === 'invalid') return notIdle(this.result(this.state.lastErrorCode ?? 'invalid_credentials'));
    const unlessIdle = trigger === 'scheduled' ? { renewedAt: this.renewedAt() } : undefined;
    let outcome: RefreshOutcome;
    try {
      outcome = await refreshCredentials({ connectionRowId: this.rowId, nowMs: Date.now(), ...(unlessIdle ? { unlessIdle } : {}) });
    } catch (error) {
      this.state.lastProviderCallAt = new Date(Date.now()).toISOString();
      await this.onTransientFailure(error);
      return notIdle(this.result(this.state.lastErrorCode));
    }
    const foundIdle = outcome.result === 'idle';
    if (!foundIdle) this.state.lastProviderCallAt = new Date(Date.now()).toISOString();
    return { result: await this.onOutcome(outcome), foundIdle };
  }

  private async onOutcome(outcome: RefreshOutcome): Promise<RefreshResult> {
    switch (outcome.result) {
      case 'gone':
        this.deleted = true;
        return this.result('connection_deleted');
      case 'invalid':
        Object.assign(this.state, { status: 'invalid', lastErrorCode: outcome.errorCode, retryAt: null });
        await this.notifyFailure(
          outcome.errorCode,
          outcome.errorCode === REFRESH_RESPONSE_LOST
            ? 'The provider no longer accepts the refresh token: it rotated it for a refresh whose answer was lost'
            : 'The provider rejected the credentials',
        );
        return this.result(outcome.errorCode);
      case 'superseded':
        this.snapshot = await this.describe();
        if (!this.snapshot) this.deleted = true;
        else await this.onSuccess(this.snapshot.expiresAt, this.state.lastRefreshAt);
        return this.result(null);
      case 'refreshed':
        await this.onSuccess(outcome.expiresAt, outcome.refreshedAt);
        this.state.idleUntil = outcome.idleUntil ?? null;
        return this.result(null);
      case 'verified':
        this.state.lastVerifiedAt = outcome.verifiedAt;
        await this.onSuccess(outcome.expiresAt, this.state.lastRefreshAt);
        return this.result(null);
      case 'idle':
        this.state.idleUntil = outcome.idleUntil;
        return this.result(null);
    }
  }

  private async onSuccess(expiresAt: string | null, refreshedAt: string | null): Promise<void> {
    if (this.snapshot) this.snapshot = { ...this.snapshot, expiresAt, status: 'active' };
    const recovering = this.state.failureEpisodeOpen;
    Object.assign(this.state, { status: 'active', lastRefreshAt: refreshedAt, consecutiveFailures: 0, lastErrorCode: null, retryAt: null, failureEpisodeOpen: false, idleUntil: null });
    if (recovering) await this.sendWebhook({ connectionRowId: this.rowId, kind: 'refresh_recovered' });
  }

  private async onTransientFailure(error: unknown): Promise<void> {
    const { code, message, retryAfterMs } = failureDetails(error);
    const now = Date.now();
    const expiry = this.expiresAt();
    const expired = expiry !== null && Date.parse(expiry) <= now;
    this.state.consecutiveFailures += 1;
    this.state.lastErrorCode = code;
    this.state.retryAt = new Date(now + Math.max(retryDelayMs(this.state.consecutiveFailures), retryAfterMs ?? 0)).toISOString();
    if (expired) this.state.status = 'degraded';
    await recordRefreshFailure({ connectionRowId: this.rowId, nowMs: now, errorCode: code, message, degraded: expired });
    // A blip while the token is still valid bothers nobody; a dead token does.
    if (expired) await this.notifyFailure(code, message);
  }

  /** The token expired while waiting to retry (a long Retry-After, a long outage): say so now, not at the next attempt. */
  private async onExpiredWhileWaiting(): Promise<void> {
    const code = this.state.lastErrorCode ?? 'refresh_failed';
    const message = 'The token expired before the provider could be asked again';
    this.state.status = 'degraded';
    await recordRefreshFailure({ connectionRowId: this.rowId, nowMs: Date.now(), errorCode: code, message, degraded: true });
    await this.notifyFailure(code, message);
  }

  /** New credentials were stored by an import or a reconnect: read them, forget failures and idleness, reschedule. */
  private async onCredentialsReplaced(): Promise<void> {
    this.replaced = false;
    const snapshot = await this.describe();
    if (snapshot) this.forgetOldCredentials(snapshot);
    else this.deleted = true;
  }

  /** Whether a read of the row already holds every version a `credentialsReplaced` signal announced. */
  private sawAnnounced(snapshot: ConnectionSnapshot): boolean {
    return this.replaced && this.announcedVersion !== null && (snapshot.credentialsVersion ?? -1) >= this.announcedVersion;
  }

  private forgetOldCredentials(snapshot: ConnectionSnapshot): void {
    this.snapshot = snapshot;
    Object.assign(this.state, { ...INITIAL_STATE, status: snapshot.status, storedAt: new Date(Date.now()).toISOString(), idleUntil: null });
  }

  private async onInvalidReported(reason: string): Promise<void> {
    this.invalidReported = null;
    await markConnectionInvalid({ connectionRowId: this.rowId, reason });
    this.state.status = 'invalid';
    this.state.lastErrorCode = 'reported_invalid';
    await this.notifyFailure('reported_invalid', reason);
  }

  private async notifyFailure(errorCode: string, errorMessage: string): Promise<void> {
    if (this.state.failureEpisodeOpen) return;
    this.state.failureEpisodeOpen = true;
    await this.sendWebhook({ connectionRowId: this.rowId, kind: 'refresh_failed', errorCode, errorMessage });
  }

  /** Webhooks go out through their own workflow so a slow receiver never holds up a refresh. */
  private async sendWebhook(webhook: ConnectionWebhookInput): Promise<void> {
    await startWebhookDeliveries(await prepareConnectionWebhook(webhook));
  }

  // ---- revisions ----

  /** Whether a fix that older runs took behind `patchId` applies: always from revision 2, else as patched() recorded. */
  private fixed(patchId: string): boolean {
    return this.patchesBuiltIn || patched(patchId);
  }

  /** Reads the row: a local activity from revision 2, an activity in runs recorded before. */
  private describe(): Promise<ConnectionSnapshot | null> {
    const read = this.patchesBuiltIn ? local.describeConnection : describeConnection;
    return read({ connectionRowId: this.rowId });
  }

  // ---- small readings of the state ----

  /** When the next refresh is due, and when the token expires during a back-off. */
  private plan(): Plan {
    return { next: this.nextRefreshAt(), degradeAt: expiryDuringBackoff(this.expiresAt(), this.state) };
  }

  private expiresAt(): string | null {
    return this.snapshot?.expiresAt ?? null;
  }

  private nextRefreshAt(): number | null {
    return this.snapshot ? nextAttemptAt(this.snapshot, this.state, this.rowId, Date.now()) : null;
  }

  /** When these credentials were last stored or renewed: the base of an idle connection's keep-alive. */
  private renewedAt(): string {
    const times = [this.state.lastRefreshAt, this.state.lastVerifiedAt, this.state.storedAt].filter((t): t is string => typeof t === 'string');
    return times.length > 0 ? new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString() : new Date(Date.now()).toISOString();
  }

  /** Whether the stored credentials differ from those expiring at `seenExpiresAt` and are not due yet. */
  private renewedSince(seenExpiresAt: string | null): boolean {
    const expiresAt = this.expiresAt();
    if (!this.snapshot || this.state.status !== 'active' || expiresAt === null || expiresAt === seenExpiresAt) return false;
    return Date.parse(expiresAt) - this.snapshot.marginMs > Date.now();
  }

  private result(errorCode: string | null): RefreshResult {
    return { status: this.state.status, expiresAt: this.expiresAt(), refreshedAt: this.state.lastRefreshAt, errorCode };
  }

  /** A message that names another connection row was meant for another workflow (ids before encoding could be shared). */
  private forAnotherRow(addressee: ConnectionAddressee | undefined): boolean {
    return typeof addressee?.connectionRowId === 'string' && addressee.connectionRowId !== this.rowId;
  }
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

function failureDetails(error: unknown): { code: string; message: string; retryAfterMs?: number } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { retryAfterMs?: unknown } | undefined;
    const retryAfterMs = typeof detail?.retryAfterMs === 'number' ? detail.retryAfterMs : undefined;
    return { code: cause.type ?? 'refresh_failed', message: cause.message, retryAfterMs };
  }
  return { code: 'refresh_failed', message: error instanceof Error ? error.message : 'refresh failed' };
}
