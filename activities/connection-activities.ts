/**
 * Activities of the connection workflow, built by a factory so tests inject the database, clock and
 * fetch. They read and write credentials; what they return to the workflow is never a secret.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { Catalog } from '../providers/load-catalog';
import { ProviderCallError } from '../providers/auth-modes/provider-call-error';
import type { Config } from '../src/config';
import { CredentialStore } from '../src/connections/credential-store';
import { refreshMarginMs } from '../src/connections/refresh-margin';
import { renewCredentials, upkeepKind } from '../src/connections/renew-credentials';
import type { Cipher } from '../src/crypto/cipher';
import { EnvironmentEntity, IntegrationEntity, type ConnectionEntity } from '../src/db/entities';
import type { Logger } from '../src/logger';
import { OperationLog } from '../src/operation-log/operation-log';
import { recordConnectionEvent } from '../src/webhooks/webhook-outbox';
import type { ConnectionSnapshot, ConnectionWebhookInput, FailureInput, RefreshInput, RefreshOutcome } from './connection-activity-types';

export interface ConnectionActivityDeps {
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Pick<Config, 'refreshMarginMs' | 'verifyIntervalMs'>;
  logger: Logger;
  fetch?: typeof fetch;
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;

interface Loaded {
  row: ConnectionEntity;
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
}

/** A provider's Retry-After up to this long is honoured by the activity's own retries; longer ones go back to the workflow. */
export const LONGEST_RETRY_AFTER_IN_ACTIVITY_MS = 30_000;

/** Heartbeats every second while a provider call runs, so a crashed worker's attempt is retried within seconds. */
function heartbeatWhileRunning(): () => void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return () => undefined; // called outside an activity (unit tests)
  }
  const timer = setInterval(() => context.heartbeat(), 1_000);
  return () => clearInterval(timer);
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
    if (!entry) throw ApplicationFailure.nonRetryable(`Provider ${integration.provider} is not in the catalog`, 'provider_not_in_catalog');
    return entry;
  }

  const log = (loaded: Loaded, line: Omit<Parameters<OperationLog['write']>[0], 'environmentId' | 'connectionRowId'>) =>
    oplog.write({ environmentId: loaded.environment.id, connectionRowId: loaded.row.id, ...line });

  return {
    /** What the workflow needs to schedule the connection; null when it was deleted. */
    async describeConnection({ connectionRowId }: { connectionRowId: string }): Promise<ConnectionSnapshot | null> {
      const loaded = await load(connectionRowId);
      if (!loaded) return null;
      const { row, environment, integration } = loaded;
      const entry = entryOf(integration);
      const credentials = store.credentialsOf(row);
      const endUser = row.endUser as { id?: unknown; display_name?: unknown; email?: unknown } | null;
      return {
        status: row.status,
        expiresAt: row.expiresAt?.toISOString() ?? null,
        upkeep: upkeepKind(entry, credentials),
        hasRefreshToken: credentials.type === 'OAUTH2' && Boolean(credentials.refresh_token),
        marginMs: refreshMarginMs(entry, deps.config.refreshMarginMs),
        verifyIntervalMs: deps.config.verifyIntervalMs,
        environment: environment.name,
        integration: integration.uniqueKey,
        integrationDisplayName: integration.displayName ?? entry.display_name,
        provider: integration.provider,
        authMode: credentials.type,
        connectionId: row.connectionId,
        endUserId: typeof endUser?.id === 'string' ? endUser.id : null,
        endUserDisplayName: typeof endUser?.display_name === 'string' ? endUser.display_name : typeof endUser?.email === 'string' ? endUser.email : null,
      };
    },

    /**
     * Refreshes (or re-mints, or verifies) the credentials. Transient provider trouble throws a
     * retryable failure (honouring Retry-After); a permanent refusal marks the row invalid unless
     * another writer stored new credentials meanwhile.
     */
    async refreshCredentials({ connectionRowId, nowMs }: RefreshInput): Promise<RefreshOutcome> {
      const loaded = await load(connectionRowId);
      if (!loaded) return { result: 'gone' };
      const { row, integration } = loaded;
      const versionAtStart = row.credentialsVersion;
      const now = new Date(nowMs);
      const started = performance.now();
      const type = upkeepKind(entryOf(integration), store.credentialsOf(row)) === 'verify' ? 'verification' : 'refresh';
      const stopHeartbeat = heartbeatWhileRunning();
      try {
        const renewed = await renewCredentials({
          entry: entryOf(integration),
          credentials: store.credentialsOf(row),
          connectionConfig: row.connectionConfig,
          clientId: integration.clientId,
          clientSecret: integration.clientSecretEncrypted ? deps.cipher.decrypt(integration.clientSecretEncrypted) : null,
          scopes: integration.scopes,
          now,
          fetch: deps.fetch,
        });
        const durationMs = Math.round(performance.now() - started);
        if (renewed.kind === 'verified') {
          await store.recordVerified(row.id, now);
          await log(loaded, { type, level: 'info', message: 'credentials verified', context: { durationMs } });
          return { result: 'verified', expiresAt: row.expiresAt?.toISOString() ?? null, verifiedAt: now.toISOString() };
        }
        const won = await store.swap(row, versionAtStart, { credentials: renewed.credentials, expiresAt: renewed.expiresAt, connectionConfig: renewed.connectionConfig, now });
        if (!won) {
          await log(loaded, { type, level: 'info', message: 'another writer stored credentials first; keeping theirs', context: { durationMs } });
          const current = await store.load(row.id);
          return current ? { result: 'superseded', expiresAt: current.expiresAt?.toISOString() ?? null } : { result: 'gone' };
        }
        await log(loaded, { type, level: 'info', message: 'credentials refreshed', context: { durationMs, expiresAt: renewed.expiresAt?.toISOString() ?? null } });
        return { result: 'refreshed', expiresAt: renewed.expiresAt?.toISOString() ?? null, refreshedAt: now.toISOString() };
      } catch (error) {
        const durationMs = Math.round(performance.now() - started);
        if (!(error instanceof ProviderCallError)) throw error;
        if (error.kind === 'transient') {
          await log(loaded, { type, level: 'warn', message: `attempt failed: ${error.message}`, context: { durationMs, code: error.code, httpStatus: error.httpStatus ?? null } });
          // A long Retry-After is waited out by the workflow's own timer, so expiry can still turn the connection degraded.
          if (error.retryAfterMs !== undefined && error.retryAfterMs > LONGEST_RETRY_AFTER_IN_ACTIVITY_MS) {
            throw ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true, details: [{ retryAfterMs: error.retryAfterMs }] });
          }
          throw ApplicationFailure.create({ message: error.message, type: error.code, nextRetryDelay: error.retryAfterMs });
        }
        // A permanent refusal after someone else already rotated the token is a lost race, not a failure.
        const versionNow = await store.currentVersion(row.id);
        if (versionNow === null) return { result: 'gone' };
        if (versionNow !== versionAtStart) {
          await log(loaded, { type, level: 'info', message: `provider refused (${error.code}) but newer credentials were stored meanwhile`, context: { durationMs } });
          const current = await store.load(row.id);
          return { result: 'superseded', expiresAt: current?.expiresAt?.toISOString() ?? null };
        }
        await store.recordFailure(row.id, 'invalid', error.code, now);
        await log(loaded, { type, level: 'error', message: `provider refused the credentials: ${error.message}`, context: { durationMs, code: error.code, httpStatus: error.httpStatus ?? null } });
        await log(loaded, { type: 'status_change', level: 'warn', message: 'connection is now invalid', context: { from: row.status, to: 'invalid', code: error.code } });
        return { result: 'invalid', errorCode: error.code };
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
