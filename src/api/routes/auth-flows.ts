/**
 * Browser-facing authorization (API.md §4): the OAuth redirect and callback, and the direct flows
 * (API key, basic, client credentials, unauthenticated). Each attempt is an `auth_attempt` row plus
 * an authorization workflow; the browser's answer comes from the workflow's result.
 */
import Router from '@koa/router';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { oauth2 } from '../../../providers/auth-modes/oauth2';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { callbackUrlFor } from '../../authorization/callback-url';
import { checkConnectionConfig } from '../../authorization/connection-config-params';
import { refusePrivateUserHosts } from '../../authorization/user-host-check';
import { bracketParams } from '../bracket-params';
import { mergeUnderPins, pinsFor, userScopeUnderPin, type SessionPins } from '../../authorization/session-pins';
import { takeCallback } from '../../authorization/take-callback';
import { ENCRYPTED } from '../../crypto/encrypted-columns';
import { AuthAttemptEntity, ConnectionEntity, ConnectSessionEntity, type EnvironmentEntity, type IntegrationEntity } from '../../db/entities';
import { isErrorCode, statusOf } from '../../error-catalogue';
import { CustodianError, RateLimitedError, ValidationError } from '../../errors';
import { catalogEntryOf } from '../../integrations/catalog-entry';
import { providerUnavailable, providerUnavailableCode } from '../../provider-unavailable-error';
import { providerTimeoutMs } from '../../../providers/calls/provider-timeout';
import { OperationLog } from '../../operation-log/operation-log';
import {
  PROVIDER_ATTEMPTS,
  authorizationStateQuery,
  authorizationWorkflowId,
  callbackReceivedSignal,
  type AuthorizationInput,
  type AuthorizationState,
} from '../../../workflows/authorization-messages';
import { requireSession } from '../auth/authenticate';
import { rateLimitByAddress } from '../rate-limit';
import type { ApiDeps, ApiState } from '../context';
import { connectOAuth1 } from './oauth1-connect';
import { renderCallbackPage, type CallbackOutcome } from '../pages/callback-page';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { FLOW_ERRORS, formFlowDoc } from '../openapi/flow-docs';
import { translateError } from '../middleware/translate-error';
import { bodyOrEmpty } from '../middleware/json-body';
import { bindFlowToBrowser, clearFlowBinding, isBoundToBrowser } from '../flow-binding';

/** How long an attempt waits for its callback (DESIGN.md §4.2). */
export const ATTEMPT_TTL_MS = 15 * 60_000;
/** How long the callback and the direct flows wait for the workflow's outcome, at least. */
const OUTCOME_WAIT_MS = 60_000;
/** Besides its provider calls, what an attempt's workflow may spend (retry back-offs, database, task latency). */
const OUTCOME_SLACK_MS = 30_000;

const keyParams = z.object({ key: z.string().min(1).max(255) });
const apiKeyBody = z.object({ apiKey: z.string().min(1).max(4096) });
const basicBody = z.object({ username: z.string().min(1).max(1024), password: z.string().max(4096).optional() });
const clientCredentialsBody = z.object({ client_id: z.string().min(1).max(2048), client_secret: z.string().min(1).max(4096) });
const directQuery = z.object({ connect_session_token: z.string().optional() }).catchall(z.unknown());
/** `params[…]` and `authorization_params[…]` are checked by their readers; `ws_client_id` is one of our UUIDs. */
const oauthConnectQuery = directQuery.extend({ ws_client_id: z.string().min(1).max(64).optional(), user_scope: z.string().max(4096).optional() });

interface Started {
  integration: IntegrationEntity;
  entry: ProviderEntry;
  attempt: AuthAttemptEntity;
}

export function authFlowsRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const oplog = new OperationLog(deps.db);

  const temporal = (): Client => {
    if (!deps.temporal) throw new CustodianError('temporal_unavailable', 'Temporal is not configured');
    return deps.temporal;
  };

  /**
   * 429 once the session has started its share of attempts (counted in the database: holds across API
   * instances). Runs in the transaction that inserts the attempt, with the session's row locked, so
   * concurrent requests of one session are counted one after the other.
   */
  async function refuseAttemptsBeyondCap(manager: EntityManager, session: ConnectSessionEntity): Promise<void> {
    await manager.getRepository(ConnectSessionEntity).findOne({ where: { id: session.id }, lock: { mode: 'pessimistic_write' } });
    const started = await manager.getRepository(AuthAttemptEntity).countBy({ sessionId: session.id });
    if (started < deps.config.maxAttemptsPerSession) return;
    // Nothing frees a slot: the browser needs a new session, which this one's expiry stands for.
    const untilExpiry = Math.ceil((session.expiresAt.getTime() - Date.now()) / 1000);
    throw new RateLimitedError(Math.max(1, untilExpiry), `This connect session has started ${deps.config.maxAttemptsPerSession} authorization attempts; create a new session`);
  }

  /** Checks the session may use this integration in this auth mode and records the attempt. */
  async function createAttempt(ctx: Context & { state: ApiState }, authMode: string, extra: Partial<AuthAttemptEntity>): Promise<Started> {
    const caller = ctx.state.caller;
    if (caller.kind !== 'session') throw new CustodianError('invalid_connect_session_token_format', 'A connect session token is required');
    if (ctx.query.connection_id !== undefined) {
      throw new ValidationError('invalid_query_params', 'connection_id cannot be chosen with a connect session', {
        errors: [{ code: 'unrecognized_keys', message: 'not allowed with a connect session', path: ['connection_id'] }],
      });
    }
    const { key } = validate(keyParams, ctx.params, 'invalid_uri_params');
    const session = caller.session;
    if (session.allowedIntegrations && !session.allowedIntegrations.includes(key)) {
      throw new CustodianError('integration_not_allowed', `This session cannot connect "${key}"`);
    }
    const integration = await deps.integrations.find(caller.environment.id, key);
    if (!integration) throw new CustodianError('unknown_provider_config', `There is no integration with provider_config_key "${key}"`);
    const entry = catalogEntryOf(deps.catalog, integration);
    if (entry.auth_mode !== authMode) throw new CustodianError('invalid_auth_mode', `Integration "${key}" uses ${entry.auth_mode}, not ${authMode}`);
    // The session's pinned connection_config wins: a browser params[…] may repeat a pin, not change it.
    const pins = pinsFor(session.integrationsConfigDefaults, key);
    const connectionConfig = checkConnectionConfig(entry, mergeUnderPins(pins.connection_config, bracketParams(ctx.query, 'params'), 'params'));
    refusePrivateUserHosts(entry, connectionConfig, deps.config.allowPrivateNetworkTargets);
    const connectionId = await connectionIdFor(session, integration);
    const attempt = await deps.db.transaction(async (manager) => {
      await refuseAttemptsBeyondCap(manager, session);
      return manager.getRepository(AuthAttemptEntity).save(
        manager.getRepository(AuthAttemptEntity).create({
          environmentId: caller.environment.id,
          sessionId: session.id,
          integrationId: integration.id,
          connectionId,
          // A reconnect attempt belongs to its connection from the start (its logs show there, even when it fails).
          connectionRowId: session.connectionRowId,
          authMode,
          connectionConfig,
          status: 'pending',
          expiresAt: new Date(Date.now() + ATTEMPT_TTL_MS),
          ...extra,
        }),
      );
    });
    await oplog.write({ environmentId: caller.environment.id, authAttemptId: attempt.id, connectionRowId: attempt.connectionRowId, type: 'authorization', level: 'info', message: `authorization started (${authMode})`, context: { integration: key, connectionId: attempt.connectionId } });
    return { integration, entry, attempt };
  }

  /** A reconnect session keeps its connection's id; otherwise a new one. */
  async function connectionIdFor(session: ConnectSessionEntity, integration: IntegrationEntity): Promise<string> {
    if (!session.connectionRowId) return randomUUID();
    const connection = await deps.db.getRepository(ConnectionEntity).findOneBy({ id: session.connectionRowId });
    if (!connection || connection.integrationId !== integration.id) throw new CustodianError('integration_not_allowed', 'This reconnect session is for another integration');
    return connection.connectionId;
  }

  async function startWorkflow(started: Started, waitForCallback: boolean) {
    const input: AuthorizationInput = {
      attemptId: started.attempt.id,
      providerConfigKey: started.integration.uniqueKey,
      connectionId: started.attempt.connectionId,
      waitForCallback,
      timeoutMs: ATTEMPT_TTL_MS,
    };
    return temporal().workflow.start('authorizationWorkflow', { taskQueue: deps.config.temporal.taskQueue, workflowId: authorizationWorkflowId(started.attempt.id), args: [input] });
  }

  /** Direct flows: the submitted credentials are verified (or exchanged) before anything is stored. */
  function direct(path: string, authMode: string, body: z.ZodType<Record<string, unknown>> | undefined) {
    router.post(path, doc(formFlowDoc({ authMode, params: keyParams, query: directQuery, body })), requireSession(deps), async (ctx) => {
      validate(directQuery, ctx.query, 'invalid_query_params');
      const values = body ? validate(body, bodyOrEmpty(ctx.request), 'invalid_body') : {};
      // The attempt's id is chosen before the insert: the ciphertext is bound to it.
      const attemptId = randomUUID();
      const started = await createAttempt(ctx, authMode, { id: attemptId, callbackParamsEncrypted: deps.cipher.encrypt(JSON.stringify(values), ENCRYPTED.attemptCallbackParams, attemptId) });
      const handle = await startWorkflow(started, false);
      const outcome = await waitForOutcome(handle, outcomeWaitMs(started.entry));
      if (outcome.status !== 'succeeded') {
        // A provider that failed us answers 502/504 naming it; otherwise the workflow's code, a string from its
        // history: only catalogued codes reach the caller.
        const message = outcome.errorMessage ?? 'The connection could not be made';
        const code = isErrorCode(outcome.errorCode) ? outcome.errorCode : 'authorization_failed';
        throw providerUnavailable(outcome.errorCode ?? '', message) ?? new CustodianError(code, message);
      }
      ctx.body = { connectionId: outcome.connectionId, providerConfigKey: outcome.providerConfigKey };
    });
  }

  direct('/api-auth/api-key/:key', 'API_KEY', apiKeyBody);
  direct('/api-auth/basic/:key', 'BASIC', basicBody);
  direct('/oauth2/auth/:key', 'OAUTH2_CC', clientCredentialsBody);
  direct('/auth/unauthenticated/:key', 'NONE', undefined);

  router.get('/oauth/connect/:key', doc({
    summary: 'Start an OAuth flow in the browser: redirects to the provider (OAuth 2.0 or 1.0a; the popup of the Connect UI opens it)',
    description: 'A browser (Accept: text/html) gets its errors as the callback page, which tells its opener; others get the error envelope.',
    tag: 'auth',
    params: keyParams,
    query: oauthConnectQuery,
    errorPage: 'browsers',
    responses: { 302: { description: 'To the provider\'s authorization page', headers: { Location: 'The provider\'s authorization URL' } } },
    errors: [...FLOW_ERRORS, 'integration_missing_client', 'provider_unreachable', 'provider_timeout'],
  }), errorPageForBrowsers, requireSession(deps), async (ctx) => {
    const caller = ctx.state.caller;
    const { key } = validate(keyParams, ctx.params, 'invalid_uri_params');
    validate(oauthConnectQuery, ctx.query, 'invalid_query_params');
    const integration = await deps.integrations.find(caller.environment.id, key);
    // Only picks the OAuth version; createAttempt checks the session, the integration and its catalog entry.
    const entry = integration ? deps.catalog.get(integration.provider) : undefined;
    // The session's pins win over the browser's authorization_params[…] and user_scope (checked before any attempt is recorded).
    const defaults: SessionPins = caller.kind === 'session' ? pinsFor(caller.session.integrationsConfigDefaults, key) : {};
    const authorizationParams = mergeUnderPins(defaults.authorization_params, bracketParams(ctx.query, 'authorization_params'), 'authorization_params');
    if (entry?.auth_mode === 'OAUTH1') {
      return connectOAuth1(ctx, { deps, createAttempt, startWorkflow, defaults, authorizationParams });
    }
    const userScope = userScopeUnderPin(defaults.user_scopes, typeof ctx.query.user_scope === 'string' ? ctx.query.user_scope : undefined);
    const verifier = randomBytes(32).toString('base64url');
    const wsClientId = typeof ctx.query.ws_client_id === 'string' ? ctx.query.ws_client_id.slice(0, 64) : null;
    const attemptId = randomUUID();
    const started = await createAttempt(ctx, 'OAUTH2', { id: attemptId, pkceVerifierEncrypted: deps.cipher.encrypt(verifier, ENCRYPTED.attemptPkceVerifier, attemptId), wsClientId, authorizationParams });
    const scopes = defaults.connection_config?.oauth_scopes_override;
    const url = oauth2.buildAuthorizationUrl({
      entry: started.entry,
      clientId: started.integration.clientId ?? '',
      redirectUri: callbackUrlFor(caller.environment, deps.config),
      scopes: typeof scopes === 'string' ? scopes.split(',').filter(Boolean) : started.integration.scopes,
      state: started.attempt.id,
      codeChallenge: oauth2.requiresPkce(started.entry) ? createHash('sha256').update(verifier).digest('base64url') : undefined,
      connectionConfig: started.attempt.connectionConfig,
      authorizationParams,
      userScope,
    });
    await startWorkflow(started, true);
    await oplog.write({ environmentId: caller.environment.id, authAttemptId: started.attempt.id, connectionRowId: started.attempt.connectionRowId, type: 'authorization', level: 'info', message: 'redirected to the provider', context: { host: new URL(url).host } });
    bindFlowToBrowser(ctx, started.attempt.id, deps.config.serverUrl, started.attempt.expiresAt);
    ctx.redirect(url);
  });

  /**
   * A browser (popup or redirect) that cannot start the flow gets the callback error page, which tells
   * the opener and closes, rather than a JSON body it would just display. API clients still get JSON.
   */
  async function errorPageForBrowsers(ctx: Context, next: () => Promise<unknown>): Promise<void> {
    try {
      await next();
    } catch (error) {
      const translated = translateError(error);
      if (!translated || !ctx.get('accept').includes('text/html')) throw error;
      const message = translated.expose ? translated.message : 'The connection could not be started.';
      sendCallbackPage(ctx, { ok: false, errorType: translated.code, message }, translated.status);
    }
  }

  function sendCallbackPage(ctx: Context, outcome: CallbackOutcome, status: number): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    ctx.body = renderCallbackPage(outcome);
  }

  router.get('/oauth/callback', doc({
    summary: 'The OAuth redirect URI: takes the provider\'s answer, finishes the authorization, shows the callback page',
    description: 'The page posts the outcome to `window.opener` and closes; failures answer the same page with their status.',
    tag: 'auth',
    errorPage: 'always',
    responses: { 200: { description: 'The callback page (success)', contentType: 'text/html' } },
    errors: ['authorization_failed', 'provider_unreachable', 'provider_timeout'],
  }), rateLimitByAddress(deps.config.rateLimits.oauthCallback, deps.config.trustProxy), async (ctx) => {
    const outcome = await handleCallback(ctx);
    // A provider that was unreachable or silent during the exchange answers 502/504, like the direct flows.
    const status = outcome.ok ? 200 : (providerUnavailable(outcome.errorType, outcome.message)?.status ?? statusOf('authorization_failed'));
    sendCallbackPage(ctx, outcome, status);
  });

  /**
   * One-shot: only the first callback of a pending, unexpired attempt is taken; everything else changes nothing.
   * A browser without the attempt's binding cookie (not the one that started it) is refused before the lookup:
   * the attempt stays pending for its own browser, and expires as usual otherwise.
   */
  async function handleCallback(ctx: Context): Promise<CallbackOutcome> {
    const query = ctx.query as Record<string, unknown>;
    const state = typeof query.state === 'string' ? query.state : '';
    if (state !== '' && !isBoundToBrowser(ctx, state)) {
      return { ok: false, errorType: 'callback_not_bound', message: 'This authorization was started in another browser; start it again here.' };
    }
    const received = Object.fromEntries(Object.entries(query).filter((pair): pair is [string, string] => pair[0] !== 'state' && typeof pair[1] === 'string'));
    if (!(await takeCallback(deps.db, deps.cipher, state, received))) {
      return { ok: false, errorType: 'invalid_state', message: 'This authorization link is invalid, expired or has already been used.' };
    }
    clearFlowBinding(ctx, state, deps.config.serverUrl);
    let result: AuthorizationState;
    try {
      const handle = temporal().workflow.getHandle(authorizationWorkflowId(state));
      await handle.signal(callbackReceivedSignal);
      result = await waitForOutcome(handle, outcomeWaitMs(undefined));
    } finally {
      // The browser's WebSocket hears the outcome too, whichever API instance holds it (also when waiting failed).
      await deps.authOutcomes?.publish(state);
    }
    if (result.status === 'succeeded') return { ok: true, providerConfigKey: result.providerConfigKey, connectionId: result.connectionId };
    const code = result.errorCode ?? 'authorization_failed';
    const message = result.errorMessage ?? 'The connection could not be made.';
    return { ok: false, errorType: providerUnavailableCode(code) ?? code, message, providerConfigKey: result.providerConfigKey, connectionId: result.connectionId };
  }

  /** Long enough for every provider call of the attempt to time out (PROVIDER_TIMEOUT or the entry's own), so the answer is the provider's 504, not a 503 pending. */
  function outcomeWaitMs(entry: ProviderEntry | undefined): number {
    return Math.max(OUTCOME_WAIT_MS, PROVIDER_ATTEMPTS * providerTimeoutMs(entry, deps.config.providerTimeoutMs) + OUTCOME_SLACK_MS);
  }

  async function waitForOutcome(handle: ReturnType<Client['workflow']['getHandle']>, waitMs: number): Promise<AuthorizationState> {
    try {
      return (await Promise.race([
        handle.result() as Promise<AuthorizationState>,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), waitMs).unref()),
      ])) as AuthorizationState;
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

  return router;
}


export type { EnvironmentEntity };
