/**
 * What the authorization routes do, apart from HTTP (API.md §4): check that a connect session may use an
 * integration in its auth mode, record the attempt, run the mode's first step (a redirect) or take its
 * form, start the authorization workflow, and wait for its outcome. Routes call this and present the result.
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { authModeStrategy, type AuthModeStrategy, type CallContext } from '../../providers/auth-modes';
import { ProviderCallError } from '../../providers/calls/provider-call-error';
import { providerTimeoutMs } from '../../providers/calls/provider-timeout';
import type { ProviderEntry } from '../../providers/catalog-schema';
import type { Catalog } from '../../providers/load-catalog';
import {
  PROVIDER_ATTEMPTS,
  authorizationStateQuery,
  authorizationWorkflowId,
  callbackReceivedSignal,
  type AuthorizationInput,
  type AuthorizationState,
} from '../../workflows/authorization-messages';
import type { Config } from '../config';
import type { Cipher } from '../crypto/cipher';
import { ConnectionEntity, type AuthAttemptEntity, type ConnectSessionEntity, type EnvironmentEntity, type IntegrationEntity } from '../db/entities';
import { isErrorCode } from '../error-catalogue';
import { CustodianError, ValidationError } from '../errors';
import { catalogEntryOf } from '../integrations/catalog-entry';
import { customSecretsOf, integrationClientOf, type IntegrationStore } from '../integrations/integration-store';
import { OperationLog } from '../operation-log/operation-log';
import { providerUnavailable } from '../provider-unavailable-error';
import { AttemptStore } from './attempt-store';
import { callbackUrlFor } from './callback-url';
import { clientMetadataUrlFor } from './client-metadata-url';
import { checkConnectionConfig } from './connection-config-params';
import { mergeUnderPins, pinsFor, userScopeUnderPin, type SessionPins } from './session-pins';
import { takeCallback } from './take-callback';
import { refusePrivateUserHosts } from './user-host-check';

/** How long an attempt waits for its callback (DESIGN.md §4.2). */
export const ATTEMPT_TTL_MS = 15 * 60_000;
/** How long the callback and the form flows wait for the workflow's outcome, at least. */
const OUTCOME_WAIT_MS = 60_000;
/** Besides its provider calls, what an attempt's workflow may spend (retry back-offs, database, task latency). */
const OUTCOME_SLACK_MS = 30_000;

export interface AuthorizationServiceDeps {
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  config: Pick<Config, 'serverUrl' | 'temporal' | 'providerTimeoutMs' | 'allowPrivateNetworkTargets' | 'maxAttemptsPerSession'>;
  integrations: IntegrationStore;
  temporal?: Client;
}

/** A browser's request to start an attempt, as the route read it. */
export interface AttemptRequest {
  environment: EnvironmentEntity;
  session: ConnectSessionEntity;
  /** The integration's `unique_key`. */
  key: string;
  /** `params[...]` of the request. */
  params: Record<string, string>;
  /** `authorization_params[...]` of the request. */
  authorizationParams: Record<string, string>;
  userScope?: string;
  wsClientId: string | null;
}

/** A recorded attempt and what it is for. */
interface Scoped {
  integration: IntegrationEntity;
  entry: ProviderEntry;
  strategy: AuthModeStrategy;
  pins: SessionPins;
}

/** The outcome of a finished (or abandoned) attempt, as the workflow reports it. */
export type AttemptOutcome = AuthorizationState;

export class AuthorizationService {
  private readonly attempts: AttemptStore;
  private readonly oplog: OperationLog;

  constructor(private readonly deps: AuthorizationServiceDeps) {
    this.attempts = new AttemptStore(deps.db, deps.cipher, deps.config.maxAttemptsPerSession);
    this.oplog = new OperationLog(deps.db);
  }

  /** Starts a redirect flow: returns the provider URL the browser goes to (the attempt's workflow waits for the callback). */
  async beginRedirect(request: AttemptRequest): Promise<{ attempt: AuthAttemptEntity; url: string }> {
    const scoped = await this.scope(request, (strategy) => strategy.connect.kind === 'redirect');
    const { integration, entry, strategy, pins } = scoped;
    // Checked before anything is recorded: a browser user_scope may repeat the session's pin, not change it.
    const userScope = userScopeUnderPin(pins.user_scopes, request.userScope);
    const attempt = await this.createAttempt(request, scoped);
    if (!strategy.begin) throw new Error(`the ${strategy.authMode} strategy redirects but has no begin()`);
    const scopesOverride = pins.connection_config?.oauth_scopes_override;
    let redirect;
    try {
      redirect = await strategy.begin(
        {
          entry,
          client: integrationClientOf(this.deps.cipher, integration),
          redirectUri: callbackUrlFor(request.environment, this.deps.config),
          state: attempt.id,
          scopes: typeof scopesOverride === 'string' ? scopesOverride.split(',').filter(Boolean) : integration.scopes,
          connectionConfig: attempt.connectionConfig,
          authorizationParams: attempt.authorizationParams,
          userScope,
          clientMetadataUrl: clientMetadataUrlFor(request.environment, integration.uniqueKey, this.deps.config),
        },
        this.callContext(entry),
      );
    } catch (error) {
      // No workflow was started: the attempt is closed here, so it cannot linger as pending.
      const failure = error instanceof CustodianError ? error : new CustodianError('request_token_failed', 'The authorization could not be started', { cause: error });
      await this.attempts.recordFailed(attempt.id, failure.code, failure.message);
      await this.log(attempt, 'error', `authorization failed: ${failure.message}`, { code: failure.code });
      // A provider that refuses our client (a misconfigured integration) is the caller's to fix: its permanent
      // codes answer 400 with the reason; an unreachable or silent one answers 502 / 504.
      if (failure instanceof ProviderCallError) throw providerUnavailable(failure.code, failure.message, failure) ?? failure;
      throw failure;
    }
    await this.attempts.recordBegun(attempt, redirect.attemptSecrets, redirect.connectionConfig);
    if (redirect.integrationCustom !== undefined) await this.deps.integrations.update(integration, { customSecrets: { ...customSecretsOf(this.deps.cipher, integration), ...redirect.integrationCustom } });
    await this.startWorkflow(attempt, integration, true);
    await this.log(attempt, 'info', 'redirected to the provider', { host: new URL(redirect.url).host });
    return { attempt, url: redirect.url };
  }

  /** A form flow: the submitted values are checked (or exchanged) by the workflow before anything is stored. */
  async submitForm(request: AttemptRequest, authMode: string, received: Record<string, unknown>): Promise<AttemptOutcome> {
    const scoped = await this.scope(request, (strategy) => strategy.authMode === authMode);
    const attempt = await this.createAttempt(request, scoped, received);
    const handle = await this.startWorkflow(attempt, scoped.integration, false);
    const outcome = await this.waitForOutcome(handle, this.outcomeWaitMs(scoped.entry));
    if (outcome.status === 'succeeded') return outcome;
    // A provider that failed us answers 502/504 naming it; otherwise the workflow's code, a string from its
    // history: only catalogued codes reach the caller.
    const message = outcome.errorMessage ?? 'The connection could not be made';
    const code = isErrorCode(outcome.errorCode) ? outcome.errorCode : 'authorization_failed';
    throw providerUnavailable(outcome.errorCode ?? '', message) ?? new CustodianError(code, message);
  }

  /**
   * One-shot: only the first callback of a pending, unexpired attempt is taken (false otherwise, and
   * nothing changes); the attempt's workflow is woken and its outcome awaited.
   */
  async takeCallback(state: string, received: Record<string, string>): Promise<AttemptOutcome | null> {
    if (!(await takeCallback(this.deps.db, this.deps.cipher, state, received))) return null;
    const handle = this.temporal().workflow.getHandle(authorizationWorkflowId(state));
    await handle.signal(callbackReceivedSignal);
    return this.waitForOutcome(handle, this.outcomeWaitMs(undefined));
  }

  /** Checks the session may use this integration in a mode `accepts`, and which strategy serves it. */
  private async scope(request: AttemptRequest, accepts: (strategy: AuthModeStrategy) => boolean): Promise<Scoped> {
    const { session, key } = request;
    if (session.allowedIntegrations && !session.allowedIntegrations.includes(key)) throw new CustodianError('integration_not_allowed', `This session cannot connect "${key}"`);
    const integration = await this.deps.integrations.find(request.environment.id, key);
    if (!integration) throw new CustodianError('unknown_provider_config', `There is no integration with provider_config_key "${key}"`);
    const entry = catalogEntryOf(this.deps.catalog, integration);
    const strategy = authModeStrategy(entry.auth_mode);
    if (!strategy || !accepts(strategy)) throw new CustodianError('invalid_auth_mode', `Integration "${key}" uses ${entry.auth_mode}, which this route does not start`);
    return { integration, entry, strategy, pins: pinsFor(session.integrationsConfigDefaults, key) };
  }

  private async createAttempt(request: AttemptRequest, scoped: Scoped, received?: Record<string, unknown>): Promise<AuthAttemptEntity> {
    const { integration, entry, strategy, pins } = scoped;
    // The session's pinned connection_config wins: a browser params[…] may repeat a pin, not change it.
    const connectionConfig = checkConnectionConfig(entry, mergeUnderPins(pins.connection_config, request.params, 'params'));
    refusePrivateUserHosts(entry, connectionConfig, this.deps.config.allowPrivateNetworkTargets);
    const attempt = await this.attempts.create({
      environmentId: request.environment.id,
      session: request.session,
      integrationId: integration.id,
      connectionId: await this.connectionIdFor(request.session, integration),
      connectionRowId: request.session.connectionRowId,
      authMode: strategy.authMode,
      connectionConfig,
      authorizationParams: mergeUnderPins(pins.authorization_params, request.authorizationParams, 'authorization_params'),
      wsClientId: request.wsClientId,
      expiresAt: new Date(Date.now() + ATTEMPT_TTL_MS),
      received,
    });
    await this.log(attempt, 'info', `authorization started (${strategy.authMode})`, { integration: integration.uniqueKey, connectionId: attempt.connectionId });
    return attempt;
  }

  /** A reconnect session keeps its connection's id; otherwise a new one. */
  private async connectionIdFor(session: ConnectSessionEntity, integration: IntegrationEntity): Promise<string> {
    if (!session.connectionRowId) return randomUUID();
    const connection = await this.deps.db.getRepository(ConnectionEntity).findOneBy({ id: session.connectionRowId });
    if (!connection || connection.integrationId !== integration.id) throw new CustodianError('integration_not_allowed', 'This reconnect session is for another integration');
    return connection.connectionId;
  }

  private startWorkflow(attempt: AuthAttemptEntity, integration: IntegrationEntity, waitForCallback: boolean): Promise<WorkflowHandle> {
    const input: AuthorizationInput = { attemptId: attempt.id, providerConfigKey: integration.uniqueKey, connectionId: attempt.connectionId, waitForCallback, timeoutMs: ATTEMPT_TTL_MS };
    return this.temporal().workflow.start('authorizationWorkflow', { taskQueue: this.deps.config.temporal.taskQueue, workflowId: authorizationWorkflowId(attempt.id), args: [input] });
  }

  /** Long enough for every provider call of the attempt to time out (PROVIDER_TIMEOUT or the entry's own), so the answer is the provider's 504, not a 503 pending. */
  private outcomeWaitMs(entry: ProviderEntry | undefined): number {
    return Math.max(OUTCOME_WAIT_MS, PROVIDER_ATTEMPTS * providerTimeoutMs(entry, this.deps.config.providerTimeoutMs) + OUTCOME_SLACK_MS);
  }

  private async waitForOutcome(handle: WorkflowHandle, waitMs: number): Promise<AttemptOutcome> {
    try {
      return await Promise.race([
        handle.result() as Promise<AttemptOutcome>,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), waitMs).unref()),
      ]);
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw error;
      // Still running (a slow provider, or no worker): say so rather than hang. The query needs a worker too.
      const state = await handle.query(authorizationStateQuery).catch(() => null);
      return {
        status: 'failed',
        providerConfigKey: state?.providerConfigKey ?? '',
        connectionId: state?.connectionId ?? '',
        operation: null,
        errorCode: 'authorization_pending',
        errorMessage: 'The authorization is taking too long; try again in a moment.',
      };
    }
  }

  private callContext(entry: ProviderEntry): CallContext {
    return { now: new Date(), timeoutMs: providerTimeoutMs(entry, this.deps.config.providerTimeoutMs), refusePrivateUserHosts: !this.deps.config.allowPrivateNetworkTargets };
  }

  private temporal(): Client {
    if (!this.deps.temporal) throw new CustodianError('temporal_unavailable', 'Temporal is not configured');
    return this.deps.temporal;
  }

  private log(attempt: AuthAttemptEntity, level: 'info' | 'error', message: string, context: Record<string, unknown>): Promise<void> {
    return this.oplog.write({ environmentId: attempt.environmentId, authAttemptId: attempt.id, connectionRowId: attempt.connectionRowId, type: 'authorization', level, message, context });
  }
}

/** A form route's submitted values may not carry `connection_id` with a session (the session picks it). */
export function refuseChosenConnectionId(query: Record<string, unknown>): void {
  if (query.connection_id === undefined) return;
  throw new ValidationError('invalid_query_params', 'connection_id cannot be chosen with a connect session', {
    errors: [{ code: 'unrecognized_keys', message: 'not allowed with a connect session', path: ['connection_id'] }],
  });
}
