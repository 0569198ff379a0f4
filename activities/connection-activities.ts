/**
 * Activities of the connection workflow, built by a factory so tests inject the database, clock and
 * fetch. They read and write credentials; what they return to the workflow is never a secret.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { Catalog } from '../providers/load-catalog';
import { ProviderCallError } from '../providers/calls/provider-call-error';
import { providerTimeoutMs } from '../providers/calls/provider-timeout';
import type { Config } from '../src/config';
import { CredentialStore } from '../src/connections/credential-store';
import { PROVIDER_NOT_IN_CATALOG, providerNotInCatalogMessage } from '../src/integrations/catalog-entry';
import { idleUntil } from '../src/connections/idle-renewal';
import { refreshMarginMs } from '../src/connections/refresh-margin';
import { strategyOfCredentials, type AuthModeStrategy, type RenewResult } from '../providers/auth-modes';
import type { Credentials } from '../providers/credentials';
import type { Cipher } from '../src/crypto/cipher';
import { integrationClientOf } from '../src/integrations/integration-store';
import { EnvironmentEntity, IntegrationEntity, type ConnectionEntity } from '../src/db/entities';
import type { Logger } from '../src/logger';
import { OperationLog } from '../src/operation-log/operation-log';
import { recordConnectionEvent } from '../src/webhooks/webhook-outbox';
import { REFRESH_RESPONSE_LOST } from '../workflows/connection-messages';
import type { ConnectionSnapshot, ConnectionWebhookInput, FailureInput, RefreshInput, RefreshOutcome } from './connection-activity-types';
import { heartbeatWhileRunning } from './heartbeat';
import { providerFailure } from './provider-failure';

export interface ConnectionActivityDeps {
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Pick<Config, 'refreshMarginMs' | 'refreshFloorMs' | 'verifyIntervalMs' | 'refreshPolicy' | 'providerTimeoutMs' | 'allowPrivateNetworkTargets'>;
  logger: Logger;
  fetch?: typeof fetch;
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;

interface Loaded {
  row: ConnectionEntity;
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
}

/** What one refresh attempt knows while it handles its provider's failure. */
interface Attempt {
  loaded: Loaded;
  type: 'refresh' | 'verification';
  versionAtStart: number;
  now: Date;
  started: number;
  /** The marker of an earlier attempt was still set: that attempt's answer may have been lost. */
  earlierAnswerLost: boolean;
  /** A scheduled renewal (not a caller's Update) of credentials kept by use: its result may say the connection is now idle. */
  byUse: ByUse | null;
}

/** What deciding idleness needs beyond the row: the strategy (a refresh token's own lifetime) and the refresh margin. */
interface ByUse {
  strategy: AuthModeStrategy;
  marginMs: number;
}

export function createConnectionActivities(deps: ConnectionActivityDeps) {
  const store = new CredentialStore(deps.db, deps.cipher);
  const oplog = new OperationLog(deps.db);

  async function load(connectionRowId: string): Promise<Loaded | null> {
    const row = await store.load(connectionRowId);
    if (!row) return null;
    const [environment, integration] = await Promise.all([
      deps.db.getRepository(EnvironmentEntity).findOneByOrFail({ id: row.environmentId }),
      deps.db.getRepository(IntegrationEntity).findOneByOrFail({ id: row.integrationId }),
    ]);
    return { row, environment, integration };
  }

  function entryOf(integration: IntegrationEntity) {
    const entry = deps.catalog.get(integration.provider);
    if (!entry) throw ApplicationFailure.nonRetryable(providerNotInCatalogMessage(integration), PROVIDER_NOT_IN_CATALOG);
    return entry;
  }

  const log = (loaded: Loaded, line: Omit<Parameters<OperationLog['write']>[0], 'environmentId' | 'connectionRowId'>) =>
    oplog.write({ environmentId: loaded.environment.id, connectionRowId: loaded.row.id, ...line });

  const durationOf = (attempt: Attempt) => Math.round(performance.now() - attempt.started);

  /** REFRESH_POLICY=by-use: when a connection renewed at `renewedAt` and not read lately is renewed at the latest, deciding `at` (null: now). */
  function idleUntilOf(loaded: Loaded, byUse: ByUse, credentials: Credentials, renewedAt: Date, at: Date): Date | null {
    const renewableUntil = byUse.strategy.renewableUntil?.(credentials, renewedAt) ?? null;
    return idleUntil(deps.config.refreshPolicy, { lastReadAt: loaded.row.lastFetchedAt, renewedAt, renewableUntil }, at, byUse.marginMs);
  }

  /** After a scheduled renewal: whether the connection will be idle at the new credentials' refresh point, and then until when. */
  function idleAfterRenewal(loaded: Loaded, byUse: ByUse, credentials: Credentials, expiresAt: Date | null, now: Date): Date | null {
    if (expiresAt === null) return null;
    const dueAt = new Date(expiresAt.getTime() - byUse.marginMs);
    return dueAt.getTime() > now.getTime() ? idleUntilOf(loaded, byUse, credentials, now, dueAt) : null;
  }

  async function onRenewed(attempt: Attempt, renewed: RenewResult): Promise<RefreshOutcome> {
    const { loaded, type, now } = attempt;
    const { row } = loaded;
    const durationMs = durationOf(attempt);
    if (renewed.kind === 'verified') {
      await store.recordVerified(row.id, now);
      await log(loaded, { type, level: 'info', message: 'credentials verified', context: { durationMs } });
      return { result: 'verified', expiresAt: row.expiresAt?.toISOString() ?? null, verifiedAt: now.toISOString() };
    }
    const won = await store.swap(row, attempt.versionAtStart, { credentials: renewed.credentials, expiresAt: renewed.expiresAt, connectionConfig: renewed.connectionConfig, now });
    if (!won) {
      await store.clearRefreshSent(row.id);
      await log(loaded, { type, level: 'info', message: 'another writer stored credentials first; keeping theirs', context: { durationMs } });
      const current = await store.load(row.id);
      return current ? { result: 'superseded', expiresAt: current.expiresAt?.toISOString() ?? null } : { result: 'gone' };
    }
    await log(loaded, { type, level: 'info', message: 'credentials refreshed', context: { durationMs, expiresAt: renewed.expiresAt?.toISOString() ?? null } });
    const idle = attempt.byUse ? idleAfterRenewal(loaded, attempt.byUse, renewed.credentials, renewed.expiresAt, now) : null;
    return { result: 'refreshed', expiresAt: renewed.expiresAt?.toISOString() ?? null, refreshedAt: now.toISOString(), ...(idle ? { idleUntil: idle.toISOString() } : {}) };
  }

  async function onProviderFailure(attempt: Attempt, error: ProviderCallError): Promise<RefreshOutcome> {
    const { loaded, type, now } = attempt;
    const { row } = loaded;
    const durationMs = durationOf(attempt);
    if (error.kind === 'transient') {
      // The provider answered, or the request never left: nothing is unanswered. Otherwise the marker stays for the next attempt.
      if (!error.answerLost) await store.clearRefreshSent(row.id);
      await log(loaded, { type, level: 'warn', message: `attempt failed: ${error.message}`, context: { durationMs, code: error.code, httpStatus: error.httpStatus ?? null, answerLost: error.answerLost } });
      throw providerFailure(error, { retryLostAnswers: true });
    }
    // A permanent refusal after someone else already rotated the token is a lost race, not a failure.
    const versionNow = await store.currentVersion(row.id);
    if (versionNow === null) return { result: 'gone' };
    if (versionNow !== attempt.versionAtStart) {
      await store.clearRefreshSent(row.id);
      await log(loaded, { type, level: 'info', message: `provider refused (${error.code}) but newer credentials were stored meanwhile`, context: { durationMs } });
      const current = await store.load(row.id);
      return { result: 'superseded', expiresAt: current?.expiresAt?.toISOString() ?? null };
    }
    const lost = attempt.earlierAnswerLost && error.code === 'invalid_grant';
    const code = lost ? REFRESH_RESPONSE_LOST : error.code;
    const message = lost
      ? `the provider refused the refresh token after the answer to an earlier refresh was lost (it rotated the token for a response we never read): ${error.message}`
      : `provider refused the credentials: ${error.message}`;
    await store.recordFailure(row.id, 'invalid', code, now);
    await log(loaded, { type, level: 'error', message, context: { durationMs, code, providerCode: error.code, httpStatus: error.httpStatus ?? null } });
    await log(loaded, { type: 'status_change', level: 'warn', message: 'connection is now invalid', context: { from: row.status, to: 'invalid', code } });
    return { result: 'invalid', errorCode: code };
  }

  return {
    /** What the workflow needs to schedule the connection; null when it was deleted. */
    async describeConnection({ connectionRowId }: { connectionRowId: string }): Promise<ConnectionSnapshot | null> {
      const loaded = await load(connectionRowId);
      if (!loaded) return null;
      const { row, environment, integration } = loaded;
      const entry = entryOf(integration);
      const credentials = store.credentialsOf(row);
      const upkeep = strategyOfCredentials(credentials).upkeep(entry, credentials);
      const endUser = row.endUser as { id?: unknown; display_name?: unknown; email?: unknown } | null;
      return {
        status: row.status,
        expiresAt: row.expiresAt?.toISOString() ?? null,
        upkeep: upkeep.kind,
        // Named for what it was when only OAuth 2.0 had it: whether the upkeep can run before expiry.
        hasRefreshToken: upkeep.beforeExpiry,
        marginMs: refreshMarginMs(entry, deps.config.refreshMarginMs),
        verifyIntervalMs: deps.config.verifyIntervalMs,
        refreshFloorMs: deps.config.refreshFloorMs,
        credentialsVersion: row.credentialsVersion,
        environment: environment.name,
        integration: integration.uniqueKey,
        integrationDisplayName: integration.displayName ?? entry.display_name,
        provider: integration.provider,
        authMode: credentials.type,
        connectionId: row.connectionId,
        endUserId: typeof endUser?.id === 'string' ? endUser.id : null,
        endUserDisplayName: memoDisplayName(endUser),
      };
    },

    /**
     * Refreshes (or re-mints, or verifies) the credentials. Transient provider trouble throws a
     * retryable failure (honouring Retry-After); a permanent refusal marks the row invalid unless
     * another writer stored new credentials meanwhile. A refresh leaves a marker on the row while its
     * request may be at the provider, so the next attempt knows when an answer was lost.
     */
    async refreshCredentials({ connectionRowId, nowMs, unlessIdle }: RefreshInput): Promise<RefreshOutcome> {
      const loaded = await load(connectionRowId);
      if (!loaded) return { result: 'gone' };
      const { row, integration } = loaded;
      const entry = entryOf(integration);
      const credentials = store.credentialsOf(row);
      const strategy = strategyOfCredentials(credentials);
      const plan = strategy.upkeep(entry, credentials);
      const upkeep = plan.kind;
      // A retry of an attempt that stored its credentials but whose completion was lost (a heartbeat timeout
      // on a loaded worker): the swap wrote this invocation's clock, so that attempt's result stands.
      if (upkeep !== 'verify' && row.lastRefreshSuccessAt?.getTime() === nowMs) {
        await log(loaded, { type: 'refresh', level: 'info', message: 'an earlier attempt of this refresh stored its credentials; not sending another', context: {} });
        return { result: 'refreshed', expiresAt: row.expiresAt?.toISOString() ?? null, refreshedAt: new Date(nowMs).toISOString() };
      }
      // Verification keeps its own interval; a token that cannot be renewed early is acted on at expiry.
      const byUse = unlessIdle !== undefined && upkeep !== 'verify' && plan.beforeExpiry ? { strategy, marginMs: refreshMarginMs(entry, deps.config.refreshMarginMs) } : null;
      if (byUse) {
        const until = idleUntilOf(loaded, byUse, credentials, new Date(unlessIdle!.renewedAt), new Date(nowMs));
        if (until) return { result: 'idle', idleUntil: until.toISOString() };
      }
      const attempt: Attempt = {
        loaded,
        type: upkeep === 'verify' ? 'verification' : 'refresh',
        versionAtStart: row.credentialsVersion,
        now: new Date(nowMs),
        started: performance.now(),
        earlierAnswerLost: upkeep === 'refresh' && row.refreshAttemptStartedAt !== null,
        byUse,
      };
      if (attempt.earlierAnswerLost) {
        await log(loaded, { type: 'refresh', level: 'warn', message: 'the answer to an earlier refresh request was lost; sending the same refresh token again', context: { sentAt: row.refreshAttemptStartedAt!.toISOString() } });
      }
      // Only a refresh token can be spent by an answer we never read; minting and verifying are repeatable.
      if (upkeep === 'refresh') await store.markRefreshSent(row.id, new Date());
      const stopHeartbeat = heartbeatWhileRunning();
      try {
        const renewed = await strategy.renew(
          { entry, credentials, connectionConfig: row.connectionConfig, client: integrationClientOf(deps.cipher, integration) },
          { now: attempt.now, timeoutMs: providerTimeoutMs(entry, deps.config.providerTimeoutMs), refusePrivateUserHosts: !deps.config.allowPrivateNetworkTargets, fetch: deps.fetch },
        );
        return await onRenewed(attempt, renewed);
      } catch (error) {
        if (error instanceof ProviderCallError) return await onProviderFailure(attempt, error);
        // Not a provider failure (a connection config that no longer fits the catalog…): nothing was sent.
        if (upkeep === 'refresh') await store.clearRefreshSent(row.id);
        throw error;
      } finally {
        stopHeartbeat();
      }
    },

    /** Records a refresh attempt that failed after its retries (transient), and `degraded` once the token has expired. */
    async recordRefreshFailure({ connectionRowId, nowMs, errorCode, degraded }: FailureInput): Promise<void> {
      const loaded = await load(connectionRowId);
      if (!loaded) return;
      const status = degraded ? 'degraded' : loaded.row.status === 'invalid' ? 'invalid' : loaded.row.status;
      await store.recordFailure(connectionRowId, status, errorCode, new Date(nowMs));
      if (status !== loaded.row.status) {
        await log(loaded, { type: 'status_change', level: 'warn', message: `connection is now ${status}`, context: { from: loaded.row.status, to: status, code: errorCode } });
      }
    },

    /** A backend reported the credentials dead (markInvalid signal). */
    async markConnectionInvalid({ connectionRowId, reason }: { connectionRowId: string; reason: string }): Promise<void> {
      const loaded = await load(connectionRowId);
      if (!loaded) return;
      await store.recordFailure(connectionRowId, 'invalid', 'reported_invalid', new Date());
      await log(loaded, { type: 'status_change', level: 'error', message: 'connection reported invalid by its backend', context: { from: loaded.row.status, to: 'invalid', reason: reason.slice(0, 200) } });
    },

    /** Records the deliveries of a refresh-failure or recovery event; returns their ids (none when disabled). */
    async prepareConnectionWebhook(input: ConnectionWebhookInput): Promise<string[]> {
      const loaded = await load(input.connectionRowId);
      if (!loaded) return [];
      const credentials = store.credentialsOf(loaded.row);
      return recordConnectionEvent(deps.db, {
        kind: input.kind,
        environment: loaded.environment,
        integration: loaded.integration,
        connection: loaded.row,
        authMode: credentials.type,
        error: input.errorCode ? { type: input.errorCode, description: input.errorMessage ?? input.errorCode } : undefined,
      });
    },
  };
}

/**
 * The end user's name for the Temporal memo (and this activity's result, both in workflow history):
 * never an email address. A display name that looks like one, or none, gives the end-user id.
 */
function memoDisplayName(endUser: { id?: unknown; display_name?: unknown } | null): string | null {
  if (typeof endUser?.display_name === 'string' && !endUser.display_name.includes('@')) return endUser.display_name;
  return typeof endUser?.id === 'string' ? endUser.id : null;
}
