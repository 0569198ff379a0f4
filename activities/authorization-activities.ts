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
import { AuthorizationError, obtainCredentials } from '../src/authorization/obtain-credentials';
import { pinConflict, pinsFor } from '../src/authorization/session-pins';
import type { Config } from '../src/config';
import { ConnectionStore, type EndUser } from '../src/connections/connection-store';
import { ConnectionWorkflows } from '../src/connections/connection-workflows';
import type { Credentials } from '../src/connections/credentials';
import type { Cipher } from '../src/crypto/cipher';
import { ENCRYPTED } from '../src/crypto/encrypted-columns';
import { clientSecretOf } from '../src/integrations/integration-store';
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
    /** Exchanges or verifies what the attempt received; the credentials are kept, encrypted, on the attempt row. */
    async obtainCredentials({ attemptId, nowMs }: { attemptId: string; nowMs: number }): Promise<ObtainResult> {
      const { attempt, environment, integration, session } = await load(attemptId);
      if (attempt.credentialsEncrypted !== null || attempt.operation !== null) return { ok: true };
      const entry = deps.catalog.get(integration.provider);
      if (!entry) return { ok: false, errorCode: PROVIDER_NOT_IN_CATALOG, errorMessage: providerNotInCatalogMessage(integration) };
      const received = attempt.callbackParamsEncrypted ? (JSON.parse(deps.cipher.decrypt(attempt.callbackParamsEncrypted, ENCRYPTED.attemptCallbackParams, attempt.id)) as Record<string, unknown>) : {};
      const redirected = attempt.authMode === 'OAUTH2' || attempt.authMode === 'OAUTH1';
      await log(attempt, 'info', redirected ? `callback received; exchanging the ${attempt.authMode === 'OAUTH1' ? 'verifier' : 'code'}` : 'checking the credentials');
      const stopHeartbeat = heartbeatWhileRunning();
      try {
        const obtained = await obtainCredentials({
          entry,
          authMode: attempt.authMode,
          received,
          pkceVerifier: attempt.pkceVerifierEncrypted ? deps.cipher.decrypt(attempt.pkceVerifierEncrypted, ENCRYPTED.attemptPkceVerifier, attempt.id) : null,
          requestTokenSecret: attempt.requestTokenSecretEncrypted ? deps.cipher.decrypt(attempt.requestTokenSecretEncrypted, ENCRYPTED.attemptRequestTokenSecret, attempt.id) : null,
          redirectUri: callbackUrlFor(environment, deps.config),
          clientId: integration.clientId,
          clientSecret: clientSecretOf(deps.cipher, integration),
          scopes: integration.scopes,
          connectionConfig: attempt.connectionConfig,
          now: new Date(nowMs),
          timeoutMs: providerTimeoutMs(entry, deps.config.providerTimeoutMs),
          refusePrivateUserHosts: !deps.config.allowPrivateNetworkTargets,
          fetch: deps.fetch,
        });
        // Callback values (`redirect_uri_metadata`, e.g. QuickBooks' realmId, which anyone can append to the
        // callback URL) and token-response metadata may not contradict what the session pinned.
        const pinned = pinConflict(pinsFor(session?.integrationsConfigDefaults ?? null, integration.uniqueKey).connection_config, obtained.connectionConfig);
        if (pinned !== null) throw new AuthorizationError('pinned_by_session', `connection_config.${pinned} is set by the connect session; the authorization returned another value`);
        await attempts().update(
          { id: attempt.id },
          {
            credentialsEncrypted: deps.cipher.encrypt(JSON.stringify({ credentials: obtained.credentials, expiresAt: obtained.expiresAt?.toISOString() ?? null }), ENCRYPTED.attemptCredentials, attempt.id),
            connectionConfig: { ...attempt.connectionConfig, ...obtained.connectionConfig } as never,
            // The code and PKCE verifier (OAuth 1.0a: the verifier and request token secret) have served their purpose.
            callbackParamsEncrypted: null,
            pkceVerifierEncrypted: null,
            requestTokenSecretEncrypted: null,
          },
        );
        await log(attempt, 'info', redirected ? `${attempt.authMode === 'OAUTH1' ? 'verifier' : 'code'} exchanged` : 'credentials verified');
        return { ok: true };
      } catch (error) {
        if (error instanceof ProviderCallError && error.kind === 'transient') {
          await log(attempt, 'warn', `provider unavailable: ${error.message}`, { code: error.code, answerLost: error.answerLost });
          // An exchange whose answer was lost is not sent again: the code (or verifier) is single-use. The workflow fails the attempt.
          throw providerFailure(error, { retryLostAnswers: false });
        }
        if (error instanceof ProviderCallError || error instanceof AuthorizationError) {
          const errorCode = error instanceof ProviderCallError && (attempt.authMode === 'API_KEY' || attempt.authMode === 'BASIC') ? 'connection_test_failed' : error.code;
          return { ok: false, errorCode, errorMessage: error.message };
        }
        throw error;
      } finally {
        stopHeartbeat();
      }
    },

    /** Creates the connection, or replaces the credentials of the one a reconnect session is bound to; records the auth webhook. */
    async storeConnection({ attemptId }: { attemptId: string }): Promise<{ operation: 'creation' | 'override'; deliveryIds: string[] }> {
      const { attempt, environment, integration, session } = await load(attemptId);
      if (attempt.operation !== null) return { operation: attempt.operation as 'creation' | 'override', deliveryIds: [] };
      if (attempt.credentialsEncrypted === null) throw ApplicationFailure.nonRetryable('No credentials were obtained for this attempt', 'missing_credentials');
      const { credentials, expiresAt } = JSON.parse(deps.cipher.decrypt(attempt.credentialsEncrypted, ENCRYPTED.attemptCredentials, attempt.id)) as { credentials: Credentials; expiresAt: string | null };
      const { row, operation } = await connections.importConnection({
        environmentId: attempt.environmentId,
        integrationId: attempt.integrationId,
        connectionId: attempt.connectionId,
        credentials,
        expiresAt: expiresAt === null ? null : new Date(expiresAt),
        connectionConfig: attempt.connectionConfig,
        ...(session ? { tags: session.tags, endUser: (session.endUser as EndUser | null) ?? undefined, webhookUrlOverride: session.webhookUrlOverride ?? undefined } : {}),
      });
      await attempts().update({ id: attempt.id }, { connectionRowId: row.id, operation, status: 'succeeded', credentialsEncrypted: null });
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
      await attempts().update(
        { id: attemptId },
        { status: 'failed', errorCode: errorCode.slice(0, 64), errorMessage: errorMessage.slice(0, 1000), callbackParamsEncrypted: null, pkceVerifierEncrypted: null, requestTokenSecretEncrypted: null, credentialsEncrypted: null },
      );
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
