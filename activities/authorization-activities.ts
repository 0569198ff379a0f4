/**
 * Activities of the authorization workflow. Each step leaves its result on the attempt row, so a
 * retried step never repeats the one before (an authorization code is single-use).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Catalog } from '../providers/load-catalog';
import { ProviderCallError } from '../providers/calls/provider-call-error';
import { providerTimeoutMs } from '../providers/calls/provider-timeout';
import { callbackUrlFor } from '../src/authorization/callback-url';
import { authModeStrategy } from '../providers/auth-modes';
import { AuthorizationError } from '../providers/auth-modes/authorization-error';
import { AttemptStore } from '../src/authorization/attempt-store';
import { statusOf } from '../src/error-catalogue';
import { CustodianError } from '../src/errors';
import { pinConflict, pinsFor } from '../src/authorization/session-pins';
import type { Config } from '../src/config';
import { ConnectionStore, type EndUser } from '../src/connections/connection-store';
import { ConnectionWorkflows } from '../src/connections/connection-workflows';
import type { Cipher } from '../src/crypto/cipher';
import { integrationClientOf } from '../src/integrations/integration-store';
import { AuthAttemptEntity, ConnectSessionEntity, ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../src/db/entities';
import { PROVIDER_NOT_IN_CATALOG, providerNotInCatalogMessage } from '../src/integrations/catalog-entry';
import { OperationLog } from '../src/operation-log/operation-log';
import { recordConnectionEvent } from '../src/webhooks/webhook-outbox';
import { heartbeatWhileRunning } from './heartbeat';
import { providerFailure } from './provider-failure';

export interface AuthorizationActivityDeps {
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Pick<Config, 'serverUrl' | 'temporal' | 'providerTimeoutMs' | 'allowPrivateNetworkTargets'>;
  /** Starts or wakes connection workflows. */
  temporal?: Client;
  fetch?: typeof fetch;
}

export type AuthorizationActivities = ReturnType<typeof createAuthorizationActivities>;

export type ObtainResult = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

export function createAuthorizationActivities(deps: AuthorizationActivityDeps) {
  const attempts = () => deps.db.getRepository(AuthAttemptEntity);
  const connections = new ConnectionStore(deps.db, deps.cipher);
  // The attempt cap is the API's business; the workflow never creates attempts.
  const attemptStore = new AttemptStore(deps.db, deps.cipher, Number.POSITIVE_INFINITY);
  const oplog = new OperationLog(deps.db);

  async function load(attemptId: string) {
    const attempt = await attempts().findOneByOrFail({ id: attemptId });
    const [environment, integration, session] = await Promise.all([
      deps.db.getRepository(EnvironmentEntity).findOneByOrFail({ id: attempt.environmentId }),
      deps.db.getRepository(IntegrationEntity).findOneByOrFail({ id: attempt.integrationId }),
      attempt.sessionId ? deps.db.getRepository(ConnectSessionEntity).findOneBy({ id: attempt.sessionId }) : Promise.resolve(null),
    ]);
    return { attempt, environment, integration, session };
  }

  const log = (attempt: AuthAttemptEntity, level: 'info' | 'warn' | 'error', message: string, context: Record<string, unknown> = {}, connectionRowId: string | null = attempt.connectionRowId) =>
    oplog.write({ environmentId: attempt.environmentId, authAttemptId: attempt.id, connectionRowId, type: 'authorization', level, message, context });

  return {
    /** Completes what the attempt received into credentials (exchange, token request, check); they are kept, encrypted, on the attempt row. */
    async obtainCredentials({ attemptId, nowMs }: { attemptId: string; nowMs: number }): Promise<ObtainResult> {
      const { attempt, environment, integration, session } = await load(attemptId);
      if (attempt.credentialsEncrypted !== null || attempt.operation !== null) return { ok: true };
      const entry = deps.catalog.get(integration.provider);
      if (!entry) return { ok: false, errorCode: PROVIDER_NOT_IN_CATALOG, errorMessage: providerNotInCatalogMessage(integration) };
      const strategy = authModeStrategy(attempt.authMode);
      if (!strategy) return { ok: false, errorCode: 'invalid_auth_mode', errorMessage: `Authorization for ${attempt.authMode} is not available` };
      await log(attempt, 'info', strategy.connect.kind === 'redirect' ? `callback received; ${strategy.completing}` : strategy.completing);
      const stopHeartbeat = heartbeatWhileRunning();
      try {
        const obtained = await strategy.complete(
          {
            entry,
            client: integrationClientOf(deps.cipher, integration),
            received: attemptStore.receivedOf(attempt),
            attemptSecrets: attemptStore.secretsOf(attempt),
            redirectUri: callbackUrlFor(environment, deps.config),
            connectionConfig: attempt.connectionConfig,
          },
          { now: new Date(nowMs), timeoutMs: providerTimeoutMs(entry, deps.config.providerTimeoutMs), refusePrivateUserHosts: !deps.config.allowPrivateNetworkTargets, fetch: deps.fetch },
        );
        // Callback values (`redirect_uri_metadata`, e.g. QuickBooks' realmId, which anyone can append to the
        // callback URL) and token-response metadata may not contradict what the session pinned.
        const pinned = pinConflict(pinsFor(session?.integrationsConfigDefaults ?? null, integration.uniqueKey).connection_config, obtained.connectionConfig);
        if (pinned !== null) throw new AuthorizationError('pinned_by_session', `connection_config.${pinned} is set by the connect session; the authorization returned another value`);
        // What served to obtain them (code, verifier, request token secret, typed values) is wiped with it.
        await attemptStore.recordObtained(attempt, obtained);
        await log(attempt, 'info', 'credentials obtained');
        return { ok: true };
      } catch (error) {
        if (error instanceof ProviderCallError && error.kind === 'transient') {
          await log(attempt, 'warn', `provider unavailable: ${error.message}`, { code: error.code, answerLost: error.answerLost });
          // An exchange whose answer was lost is not sent again: the code (or verifier) is single-use. The workflow fails the attempt.
          throw providerFailure(error, { retryLostAnswers: false });
        }
        if (error instanceof ProviderCallError) return { ok: false, errorCode: strategy.refusedAs ?? error.code, errorMessage: error.message };
        if (error instanceof CustodianError && statusOf(error.code) === 400) return { ok: false, errorCode: error.code, errorMessage: error.message };
        throw error;
      } finally {
        stopHeartbeat();
      }
    },

    /** Creates the connection, or replaces the credentials of the one a reconnect session is bound to; records the auth webhook. */
    async storeConnection({ attemptId }: { attemptId: string }): Promise<{ operation: 'creation' | 'override'; deliveryIds: string[] }> {
      const { attempt, environment, integration, session } = await load(attemptId);
      if (attempt.operation !== null) return { operation: attempt.operation as 'creation' | 'override', deliveryIds: [] };
      const obtained = attemptStore.obtainedOf(attempt);
      if (obtained === null) throw ApplicationFailure.nonRetryable('No credentials were obtained for this attempt', 'missing_credentials');
      const { credentials, expiresAt } = obtained;
      const { row, operation } = await connections.importConnection({
        environmentId: attempt.environmentId,
        integrationId: attempt.integrationId,
        connectionId: attempt.connectionId,
        credentials,
        expiresAt,
        connectionConfig: attempt.connectionConfig,
        ...(session ? { tags: session.tags, endUser: (session.endUser as EndUser | null) ?? undefined, webhookUrlOverride: session.webhookUrlOverride ?? undefined } : {}),
      });
      await attemptStore.recordSucceeded(attempt.id, row.id, operation);
      await log(attempt, 'info', operation === 'creation' ? 'connection created' : 'connection credentials replaced', { operation }, row.id);
      const deliveryIds = await recordConnectionEvent(deps.db, { kind: operation, environment, integration, connection: row, authMode: credentials.type });
      return { operation, deliveryIds };
    },

    /** Starts the connection's workflow, or tells the running one its credentials were replaced. */
    async wakeConnectionWorkflow({ attemptId }: { attemptId: string }): Promise<void> {
      if (!deps.temporal) throw ApplicationFailure.nonRetryable('The worker has no Temporal client', 'temporal_unavailable');
      const { attempt, environment, integration } = await load(attemptId);
      const connection = await deps.db.getRepository(ConnectionEntity).findOneByOrFail({ id: attempt.connectionRowId! });
      await new ConnectionWorkflows(deps.temporal, deps.config.temporal.taskQueue).credentialsStored({ environment, integration, connection });
    },

    /** Records the failure; a failed reconnect of an existing connection is webhooked. */
    async failAttempt({ attemptId, errorCode, errorMessage }: { attemptId: string; errorCode: string; errorMessage: string }): Promise<string[]> {
      // The secrets go first, before anything else that might fail (the rows the webhook needs).
      await attemptStore.recordFailed(attemptId, errorCode, errorMessage);
      const { attempt, environment, integration, session } = await load(attemptId);
      await log(attempt, 'error', `authorization failed: ${errorMessage}`, { code: errorCode });
      const existing = session?.connectionRowId ? await connections.findByRowId(session.connectionRowId) : undefined;
      if (!existing) return [];
      return recordConnectionEvent(deps.db, {
        kind: 'override_failed',
        environment,
        integration,
        connection: existing,
        authMode: attempt.authMode,
        error: { type: errorCode, description: errorMessage },
      });
    },
  };
}
