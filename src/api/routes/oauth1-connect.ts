/**
 * `GET /oauth/connect/:key` for OAuth 1.0a integrations (API.md §4, RFC 5849 §2): record the attempt,
 * get a request token whose callback carries the attempt id as `state`, start the authorization
 * workflow, redirect the browser to the provider's authorize URL.
 *
 * The request token is obtained here, in the API request, not by the workflow: the browser must be
 * sent to the provider with that token in this very response, so the call is synchronous with the
 * redirect. Its secret is kept, encrypted, on the attempt row for the exchange the workflow makes
 * once the callback arrives (the workflow itself never holds it).
 *
 * OAuth 1.0a's callback carries `oauth_token` and `oauth_verifier`, not our state; so the state rides
 * in the callback URL we register (`<redirect uri>?state=<attempt id>`), and `GET /oauth/callback`'s
 * one-shot lookup finds the attempt exactly as for OAuth 2.0.
 */
import type { Context } from 'koa';
import { oauth1 } from '../../../providers/auth-modes/oauth1';
import { getRequestToken } from '../../../providers/auth-modes/oauth1-token-request';
import { ProviderCallError } from '../../../providers/calls/provider-call-error';
import { ENCRYPTED } from '../../crypto/encrypted-columns';
import { providerTimeoutMs } from '../../../providers/calls/provider-timeout';
import { appendQuery } from '../../../providers/auth-modes/query-string';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { callbackUrlFor } from '../../authorization/callback-url';
import { AuthAttemptEntity, type IntegrationEntity } from '../../db/entities';
import { CustodianError } from '../../errors';
import { providerUnavailable } from '../../provider-unavailable-error';
import { OperationLog } from '../../operation-log/operation-log';
import type { ApiDeps, ApiState } from '../context';
import { bindFlowToBrowser } from '../flow-binding';

/** An attempt as the /oauth/connect handler records it. */
export interface OAuth1Started {
  integration: IntegrationEntity;
  entry: ProviderEntry;
  attempt: AuthAttemptEntity;
}

/** What the /oauth/connect handler lends this flow: its attempt and workflow steps, and what it read from the session and query. */
export interface OAuth1ConnectSteps {
  deps: ApiDeps;
  createAttempt(ctx: Context & { state: ApiState }, authMode: string, extra: Partial<AuthAttemptEntity>): Promise<OAuth1Started>;
  startWorkflow(started: OAuth1Started, waitForCallback: boolean): Promise<unknown>;
  /** The session's `integrations_config_defaults` for this integration. */
  defaults: { authorization_params?: Record<string, string>; connection_config?: Record<string, unknown> };
  /** The request's `authorization_params[...]` under the session's pinned ones (pins already checked and merged in). */
  authorizationParams: Record<string, string>;
}

/** Runs the OAuth 1.0a start of `/oauth/connect/:key`: ends with a 302 to the provider, or throws. */
export async function connectOAuth1(ctx: Context & { state: ApiState }, steps: OAuth1ConnectSteps): Promise<void> {
  const { deps, authorizationParams } = steps;
  const wsClientId = typeof ctx.query.ws_client_id === 'string' ? ctx.query.ws_client_id.slice(0, 64) : null;
  const started = await steps.createAttempt(ctx, 'OAUTH1', { wsClientId, authorizationParams });
  const { integration, entry, attempt } = started;
  const attempts = deps.db.getRepository(AuthAttemptEntity);
  const oplog = new OperationLog(deps.db);
  const log = (level: 'info' | 'error', message: string, context: Record<string, unknown>) =>
    oplog.write({ environmentId: attempt.environmentId, authAttemptId: attempt.id, connectionRowId: attempt.connectionRowId, type: 'authorization', level, message, context });

  let requestToken: { token: string; tokenSecret: string };
  try {
    if (integration.clientId === null || integration.clientSecretEncrypted === null) {
      throw new CustodianError('integration_missing_client', 'The integration has no OAuth client id or secret');
    }
    requestToken = await getRequestToken({
      entry,
      consumerKey: integration.clientId,
      consumerSecret: deps.integrations.clientSecretOf(integration) as string,
      callbackUrl: appendQuery(callbackUrlFor(ctx.state.caller.environment, deps.config), new Map([['state', attempt.id]])),
      connectionConfig: attempt.connectionConfig,
      timeoutMs: providerTimeoutMs(entry, deps.config.providerTimeoutMs),
      refusePrivateUserHosts: !deps.config.allowPrivateNetworkTargets,
    });
  } catch (error) {
    // No workflow was started: the attempt is closed here, so it cannot linger as pending.
    const failure = error instanceof CustodianError ? error : new CustodianError('request_token_failed', 'The request token could not be obtained', { cause: error });
    await attempts.update({ id: attempt.id }, { status: 'failed', errorCode: failure.code.slice(0, 64), errorMessage: failure.message.slice(0, 1000) });
    await log('error', `authorization failed: ${failure.message}`, { code: failure.code });
    // A provider that refuses our consumer (a misconfigured integration) is the caller's to fix: its
    // permanent codes answer 400 with the reason; an unreachable or silent one answers 502 / 504.
    if (failure instanceof ProviderCallError) throw providerUnavailable(failure.code, failure.message, failure) ?? failure;
    throw failure;
  }

  await attempts.update({ id: attempt.id }, { requestTokenSecretEncrypted: deps.cipher.encrypt(requestToken.tokenSecret, ENCRYPTED.attemptRequestTokenSecret, attempt.id) });
  const scopesOverride = steps.defaults.connection_config?.['oauth_scopes_override'];
  const url = oauth1.buildAuthorizationUrl({
    entry,
    requestToken: requestToken.token,
    connectionConfig: attempt.connectionConfig,
    scopes: typeof scopesOverride === 'string' ? scopesOverride.split(',').filter(Boolean) : integration.scopes,
    authorizationParams,
  });
  await steps.startWorkflow(started, true);
  await log('info', 'redirected to the provider', { host: new URL(url).host });
  bindFlowToBrowser(ctx, attempt.id, deps.config.serverUrl, attempt.expiresAt);
  ctx.redirect(url);
}
