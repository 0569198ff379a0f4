/**
 * What the connection routes do, apart from HTTP: import (verify, store, wake the workflow, webhook),
 * read with fresh credentials (refresh through the workflow when due), delete.
 */
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { ProviderEntry } from '../../providers/catalog-schema';
import type { Catalog } from '../../providers/load-catalog';
import { strategyOfCredentials } from '../../providers/auth-modes';
import { ProviderCallError } from '../../providers/calls/provider-call-error';
import { providerTimeoutMs } from '../../providers/calls/provider-timeout';
import type { Config } from '../config';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../db/entities';
import { CustodianError, ValidationError } from '../errors';
import { catalogEntryOf } from '../integrations/catalog-entry';
import { integrationClientOf } from '../integrations/integration-store';
import type { Cipher } from '../crypto/cipher';
import type { Logger } from '../logger';
import { OperationLog } from '../operation-log/operation-log';
import { providerUnavailable } from '../provider-unavailable-error';
import { refreshMarginMs } from './refresh-margin';
import { startDeliveries } from '../webhooks/start-deliveries';
import { recordConnectionEvent, type ConnectionEventKind } from '../webhooks/webhook-outbox';
import type { ConnectionStore, ImportFields } from './connection-store';
import { ConnectionWorkflows } from './connection-workflows';
import { PendingWorkflowStarts } from './pending-workflow-starts';
import type { Credentials } from './credentials';

/** After a failed refresh, callers get 424 for this long instead of another attempt (unless they force one). */
export const FAILURE_BACKOFF_MS = 30_000;

export interface ConnectionServiceDeps {
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Pick<Config, 'refreshMarginMs' | 'temporal' | 'providerTimeoutMs' | 'allowPrivateNetworkTargets'>;
  connections: ConnectionStore;
  temporal?: Client;
  logger: Logger;
  fetch?: typeof fetch;
}

export interface Scope {
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
}

/** A refresh was needed and did not produce valid credentials. */
export class InvalidCredentialsError extends CustodianError {
  constructor(
    message: string,
    readonly connection: ConnectionEntity,
    readonly backingOff: boolean,
  ) {
    super('invalid_credentials', message, { variant: backingOff ? 'backing_off' : undefined });
  }
}

export class ConnectionService {
  private readonly oplog: OperationLog;
  private readonly workflows?: ConnectionWorkflows;
  private readonly pendingStarts: PendingWorkflowStarts;

  constructor(private readonly deps: ConnectionServiceDeps) {
    this.oplog = new OperationLog(deps.db);
    this.pendingStarts = new PendingWorkflowStarts(deps.db);
    if (deps.temporal) this.workflows = new ConnectionWorkflows(deps.temporal, deps.config.temporal.taskQueue);
  }

  private requireWorkflows(): ConnectionWorkflows {
    if (!this.workflows) throw new CustodianError('temporal_unavailable', 'Temporal is not configured');
    return this.workflows;
  }

  /** Stores imported credentials (verifying API keys and basic credentials first), wakes the workflow, sends the auth webhook. */
  async importConnection(scope: Scope, fields: Omit<ImportFields, 'environmentId' | 'integrationId'>): Promise<{ row: ConnectionEntity; operation: 'creation' | 'override' }> {
    const entry = catalogEntryOf(this.deps.catalog, scope.integration);
    if (fields.credentials.type !== entry.auth_mode) {
      throw new ValidationError('invalid_body', `Integration "${scope.integration.uniqueKey}" uses ${entry.auth_mode}, not ${fields.credentials.type}`, {
        errors: [{ code: 'invalid', message: `expected ${entry.auth_mode}`, path: ['credentials', 'type'] }],
      });
    }
    const checked = await this.checkImported(scope, entry, fields.credentials, fields.connectionConfig ?? {});
    const result = await this.deps.connections.importConnection({ ...fields, ...checked, environmentId: scope.environment.id, integrationId: scope.integration.id });
    // The row is stored: its log line and waking its workflow depend on nothing else, so they go at once
    // (both finished before the answer; the log line's failure first, as when they went one after the other).
    const outcomes = await Promise.allSettled([
      this.oplog.write({
        environmentId: scope.environment.id,
        connectionRowId: result.row.id,
        type: 'import',
        level: 'info',
        message: result.operation === 'creation' ? 'connection created by import' : 'credentials replaced by import',
        context: { authMode: fields.credentials.type },
      }),
      this.wakeWorkflow(scope, result.row),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    await this.emit(scope, result.row, result.operation, fields.credentials.type);
    return result;
  }

  /** Tells the connection's workflow about its stored credentials; when that fails, the worker does it later (PendingWorkflowStarts). */
  private async wakeWorkflow(scope: Scope, row: ConnectionEntity): Promise<void> {
    try {
      await this.requireWorkflows().credentialsStored({ environment: scope.environment, integration: scope.integration, connection: row });
    } catch (error) {
      await this.pendingStarts.record(row.id).catch((recordError: unknown) => {
        this.deps.logger.error({ connection: row.id, reason: recordError instanceof Error ? recordError.message : String(recordError) }, 'connection workflow not started, and its retry not recorded');
      });
      throw error;
    }
  }

  /**
   * The connection with credentials valid for at least the margin: served from the row when fresh,
   * otherwise refreshed through the workflow (single-flight) and re-read.
   */
  async readFresh(scope: Scope, row: ConnectionEntity, options: { forceRefresh: boolean; now: Date }): Promise<ConnectionEntity> {
    // The entry decides the refresh margin, and the workflow could not refresh without it.
    const entry = catalogEntryOf(this.deps.catalog, scope.integration);
    if (row.status === 'invalid') throw new InvalidCredentialsError('The connection credentials are invalid; reconnect it', row, false);
    if (!options.forceRefresh && !this.refreshDue(entry, row, options.now)) return row;
    const failedRecently = row.lastRefreshFailureAt !== null && options.now.getTime() - row.lastRefreshFailureAt.getTime() < FAILURE_BACKOFF_MS;
    if (!options.forceRefresh && failedRecently && row.lastRefreshFailureReason !== null) {
      throw new InvalidCredentialsError('The last refresh failed moments ago; retry later or force a refresh', row, true);
    }
    const servable = !options.forceRefresh && tokenStillValid(row, options.now);
    let result;
    try {
      const refresh = this.requireWorkflows().refresh({ environment: scope.environment, integration: scope.integration, connection: row }, { forced: options.forceRefresh, seenExpiresAt: row.expiresAt });
      result = servable ? await withinStillValidWait(refresh) : await refresh;
    } catch (error) {
      // Temporal unreachable (or slower than the wait): a token that still works is better than an
      // error, and the workflow finishes the refresh on its own; an expired token is never served.
      if (!servable) throw error;
      this.deps.logger.warn({ reason: error instanceof Error ? error.message : String(error), connection: row.id }, 'refresh not answered; serving the stored token, which is still valid');
      return row;
    }
    const current = await this.deps.connections.findByRowId(row.id);
    if (!current) throw new CustodianError('not_found', 'The connection was deleted');
    // A refresh that failed transiently while the stored token still has time left: the caller gets that token.
    if (result.errorCode !== null && current.status !== 'invalid' && tokenStillValid(current, options.now) && !options.forceRefresh) return current;
    if (result.errorCode !== null || current.status === 'invalid') {
      throw new InvalidCredentialsError(`The credentials could not be refreshed (${result.errorCode ?? current.status})`, current, false);
    }
    return current;
  }

  /** Soft-deletes, ends the workflow, sends the deletion webhook (if enabled). */
  async deleteConnection(scope: Scope, row: ConnectionEntity, now: Date): Promise<void> {
    await this.deps.connections.softDelete(row, now);
    await this.oplog.write({ environmentId: scope.environment.id, connectionRowId: row.id, type: 'deletion', level: 'info', message: 'connection deleted' });
    await this.requireWorkflows().deleted({ environment: scope.environment, integration: scope.integration, connection: row });
    await this.emit(scope, row, 'deletion', this.deps.connections.credentialsOf(row).type);
  }

  private refreshDue(entry: ProviderEntry, row: ConnectionEntity, now: Date): boolean {
    if (row.expiresAt === null) return false;
    const marginMs = refreshMarginMs(entry, this.deps.config.refreshMarginMs);
    return row.expiresAt.getTime() - now.getTime() < marginMs;
  }

  /**
   * Credentials typed by a person (keys, passwords) are checked with the provider before they are stored;
   * issued tokens are not. A check that obtained new credentials (TWO_STEP logs in with the typed ones)
   * returns them to be stored instead: the token it was given is the freshest there is, and throwing it
   * away could leave a provider that keeps one session per user with a stored token it just replaced.
   */
  private async checkImported(scope: Scope, entry: ProviderEntry, credentials: Credentials, connectionConfig: Record<string, unknown>): Promise<Pick<ImportFields, 'credentials' | 'expiresAt' | 'connectionConfig'> | undefined> {
    const strategy = strategyOfCredentials(credentials);
    if (!strategy.checksImports) return undefined;
    try {
      const result = await strategy.renew(
        { entry, credentials, connectionConfig, client: integrationClientOf(this.deps.cipher, scope.integration) },
        { now: new Date(), timeoutMs: providerTimeoutMs(entry, this.deps.config.providerTimeoutMs), refusePrivateUserHosts: !this.deps.config.allowPrivateNetworkTargets, fetch: this.deps.fetch },
      );
      if (result.kind !== 'renewed') return undefined;
      return { credentials: result.credentials, expiresAt: result.expiresAt, connectionConfig: { ...connectionConfig, ...result.connectionConfig } };
    } catch (error) {
      if (!(error instanceof ProviderCallError)) throw error;
      // Only a refusal says the credentials are wrong; a provider that is down or silent says nothing about them.
      if (error.kind === 'transient') throw providerUnavailable(error.code, error.message, error) ?? error;
      throw new ValidationError('connection_test_failed', `The provider did not accept the credentials: ${error.message}`);
    }
  }

  private async emit(scope: Scope, row: ConnectionEntity, kind: ConnectionEventKind, authMode: string): Promise<void> {
    const ids = await recordConnectionEvent(this.deps.db, { kind, environment: scope.environment, integration: scope.integration, connection: row, authMode });
    if (ids.length > 0) await startDeliveries(this.deps.temporal!, this.deps.config.temporal.taskQueue, ids);
  }
}

/**
 * How long a read waits for a refresh while the stored token is still valid. Without a bound, a
 * Temporal outage would hold each such read for the client's ~20 s of gRPC retries.
 */
export const STILL_VALID_REFRESH_WAIT_MS = 5_000;

/** The refresh's result, or a rejection once the wait is over (the refresh itself goes on). */
function withinStillValidWait<T>(refresh: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no refresh result within ${STILL_VALID_REFRESH_WAIT_MS} ms`)), STILL_VALID_REFRESH_WAIT_MS);
  });
  // The losing refresh must not become an unhandled rejection; its outcome is the workflow's.
  refresh.catch(() => undefined);
  return Promise.race([refresh, timeout]).finally(() => clearTimeout(timer));
}

/** Whether the stored token has not expired yet (a token without expiry never does). */
function tokenStillValid(row: Pick<ConnectionEntity, 'expiresAt'>, now: Date): boolean {
  return row.expiresAt === null || row.expiresAt.getTime() > now.getTime();
}
