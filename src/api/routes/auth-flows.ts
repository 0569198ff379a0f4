/**
 * Browser-facing authorization (API.md §4): the redirect flows (`GET /oauth/connect/:key` → provider →
 * `GET /oauth/callback`) and the form flows each auth mode declares (`POST /api-auth/api-key/:key`…).
 * Routes authenticate, validate and present; AuthorizationService does the rest.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { allStrategies } from '../../../providers/auth-modes';
import { AuthorizationService, refuseChosenConnectionId, type AttemptRequest } from '../../authorization/authorization-service';
import { statusOf } from '../../error-catalogue';
import { providerUnavailable, providerUnavailableCode } from '../../provider-unavailable-error';
import { requireSession } from '../auth/authenticate';
import { bracketParams } from '../bracket-params';
import type { ApiDeps, ApiState } from '../context';
import { bindFlowToBrowser, clearFlowBinding, isBoundToBrowser } from '../flow-binding';
import { bodyOrEmpty } from '../middleware/json-body';
import { translateError } from '../middleware/translate-error';
import { renderCallbackPage, type CallbackOutcome } from '../pages/callback-page';
import { presentAuthOutcome } from '../presenters/auth-outcome';
import { rateLimitByAddress } from '../rate-limit';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { FLOW_ERRORS, formFlowDoc } from '../openapi/flow-docs';

export { ATTEMPT_TTL_MS } from '../../authorization/authorization-service';

const keyParams = z.object({ key: z.string().min(1).max(255) });
const formQuery = z.object({ connect_session_token: z.string().optional() }).catchall(z.unknown());
/** `params[…]` and `authorization_params[…]` are checked by their readers; `ws_client_id` is one of our UUIDs. */
const redirectQuery = formQuery.extend({ ws_client_id: z.string().min(1).max(64).optional(), user_scope: z.string().max(4096).optional() });

type SessionContext = Context & { state: ApiState };

export function authFlowsRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const service = new AuthorizationService({ db: deps.db, cipher: deps.cipher, catalog: deps.catalog, config: deps.config, integrations: deps.integrations, temporal: deps.temporal });

  /** What the browser asked for, read from the route's params and query. */
  function attemptRequest(ctx: SessionContext): AttemptRequest {
    const caller = ctx.state.caller;
    if (caller.kind !== 'session') throw new Error('requireSession lets only sessions through');
    refuseChosenConnectionId(ctx.query);
    const { key } = validate(keyParams, ctx.params, 'invalid_uri_params');
    return {
      environment: caller.environment,
      session: caller.session,
      key,
      params: bracketParams(ctx.query, 'params'),
      authorizationParams: bracketParams(ctx.query, 'authorization_params'),
      userScope: typeof ctx.query.user_scope === 'string' ? ctx.query.user_scope : undefined,
      wsClientId: typeof ctx.query.ws_client_id === 'string' ? ctx.query.ws_client_id.slice(0, 64) : null,
    };
  }

  // Each form-flow mode's routes: the submitted values are checked (or exchanged) before anything is stored.
  for (const strategy of allStrategies()) {
    if (strategy.connect.kind !== 'form') continue;
    const { body } = strategy.connect;
    for (const path of strategy.connect.routes) {
      router.post(path, doc(formFlowDoc({ authMode: strategy.authMode, params: keyParams, query: formQuery, body })), requireSession(deps), async (ctx) => {
        validate(formQuery, ctx.query, 'invalid_query_params');
        const received = validate(body, bodyOrEmpty(ctx.request), 'invalid_body');
        const outcome = await service.submitForm(attemptRequest(ctx), strategy.authMode, received);
        ctx.body = presentAuthOutcome(outcome);
      });
    }
  }

  // Callback routes besides /oauth/callback that redirect modes come back to (a GitHub App's setup URL).
  const callbackRoutes = [...new Set(allStrategies().flatMap((strategy) => (strategy.connect.kind === 'redirect' ? (strategy.connect.callbackRoutes ?? []) : [])))];

  router.get('/oauth/connect/:key', doc({
    summary: 'Start a redirect flow in the browser (OAuth 2.0, OAuth 1.0a): redirects to the provider (the popup of the Connect UI opens it)',
    description: 'A browser (Accept: text/html) gets its errors as the callback page, which tells its opener; others get the error envelope.',
    tag: 'auth',
    params: keyParams,
    query: redirectQuery,
    errorPage: 'browsers',
    responses: { 302: { description: 'To the provider\'s authorization page', headers: { Location: 'The provider\'s authorization URL' } } },
    errors: [...FLOW_ERRORS, 'integration_missing_client', 'provider_unreachable', 'provider_timeout'],
  }), errorPageForBrowsers, requireSession(deps), async (ctx) => {
    validate(redirectQuery, ctx.query, 'invalid_query_params');
    const { attempt, url } = await service.beginRedirect(attemptRequest(ctx));
    bindFlowToBrowser(ctx, attempt.id, deps.config.serverUrl, attempt.expiresAt, callbackRoutes);
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

  for (const path of ['/oauth/callback', ...callbackRoutes]) {
    router.get(path, doc({
      summary: path === '/oauth/callback'
        ? 'The OAuth redirect URI: takes the provider\'s answer, finishes the authorization, shows the callback page'
        : 'A redirect mode\'s own callback (a GitHub App\'s setup URL), handled like /oauth/callback',
      description: 'The page posts the outcome to `window.opener` and closes; failures answer the same page with their status.',
      tag: 'auth',
      errorPage: 'always',
      responses: { 200: { description: 'The callback page (success)', contentType: 'text/html' } },
      errors: ['authorization_failed', 'provider_unreachable', 'provider_timeout'],
    }), rateLimitByAddress(deps.config.rateLimits.oauthCallback, deps.config.trustProxy), async (ctx) => {
      const outcome = await handleCallback(ctx);
      // A provider that was unreachable or silent during the exchange answers 502/504, like the form flows.
      const status = outcome.ok ? 200 : (providerUnavailable(outcome.errorType, outcome.message)?.status ?? statusOf('authorization_failed'));
      sendCallbackPage(ctx, outcome, status);
    });
  }

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
    let result;
    try {
      result = await service.takeCallback(state, received);
      if (result === null) return { ok: false, errorType: 'invalid_state', message: 'This authorization link is invalid, expired or has already been used.' };
    } finally {
      // The browser's WebSocket hears the outcome too, whichever API instance holds it (also when waiting failed).
      if (result !== null && state !== '') {
        clearFlowBinding(ctx, state, deps.config.serverUrl, callbackRoutes);
        await deps.authOutcomes?.publish(state);
      }
    }
    if (result.status === 'succeeded') return { ok: true, providerConfigKey: result.providerConfigKey, connectionId: result.connectionId };
    const code = result.errorCode ?? 'authorization_failed';
    const message = result.errorMessage ?? 'The connection could not be made.';
    return { ok: false, errorType: providerUnavailableCode(code) ?? code, message, providerConfigKey: result.providerConfigKey, connectionId: result.connectionId };
  }

  return router;
}
