/** Connect sessions (API.md §1): backends create them with a secret key; the Connect UI reads and ends them with the token. */
import { refusePrivateWebhookUrl } from '../webhook-target-check';
import Router from '@koa/router';
import { ConnectSessionStore, type NewSession } from '../../connect-sessions/connect-session-store';
import { sessionTags } from '../../connect-sessions/session-tags';
import type { EndUser } from '../../connections/connection-store';
import type { ConnectionEntity, IntegrationEntity } from '../../db/entities';
import { ValidationError, type ErrorDetail } from '../../errors';
import { requireSecretKey, requireSession } from '../auth/authenticate';
import { jsonBody } from '../middleware/json-body';
import { rateLimitByAddress } from '../rate-limit';
import type { ApiDeps, ApiState } from '../context';
import { presentConnectSession, presentCreatedSession } from '../presenters/connect-session';
import { createSessionBody, reconnectSessionBody, type CreateSessionBody, type ReconnectSessionBody } from '../schemas/connect-session-fields';
import { invalidField, validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { connectSessionBody, createdSessionBody } from '../schemas/responses';

type SharedBody = Omit<CreateSessionBody, 'allowed_integrations'>;

/** One `errors[]` entry per integration key the environment does not have, at its path in the body. */
function unknownIntegrations(known: Set<string>, body: SharedBody & { allowed_integrations?: string[] }): ErrorDetail[] {
  const missing = (path: (string | number)[]): ErrorDetail => ({ code: 'invalid', message: 'Integration does not exist', path });
  return [
    ...(body.allowed_integrations ?? []).flatMap((key, index) => (known.has(key) ? [] : [missing(['allowed_integrations', index])])),
    ...Object.keys(body.integrations_config_defaults ?? {}).filter((key) => !known.has(key)).map((key) => missing(['integrations_config_defaults', key])),
    ...Object.keys(body.overrides ?? {}).filter((key) => !known.has(key)).map((key) => missing(['overrides', key])),
  ];
}

/** The end user as stored on the session (and later on the connection): the legacy top-level organization folds into it. */
function endUserOf(body: SharedBody): EndUser | null {
  if (!body.end_user) return null;
  const organization = body.organization ?? body.end_user.organization;
  return { ...body.end_user, ...(organization ? { organization } : {}) };
}

/** The session fields every create route derives from the shared body fields. */
function sessionFields(body: SharedBody): Pick<NewSession, 'endUser' | 'organization' | 'tags' | 'integrationsConfigDefaults' | 'webhookUrlOverride'> {
  const endUser = endUserOf(body);
  const organization = body.organization ?? body.end_user?.organization ?? null;
  return {
    endUser,
    organization,
    tags: sessionTags({ endUser: body.end_user, organization: organization ?? undefined, tags: body.tags }),
    integrationsConfigDefaults: body.integrations_config_defaults ?? null,
    webhookUrlOverride: body.webhook_url_override ?? null,
  };
}

/** The live connection a reconnect session re-authorizes; an unknown pair is a 400 at the field that does not match. */
async function reconnectTarget(deps: ApiDeps, environmentId: string, body: ReconnectSessionBody): Promise<{ integration: IntegrationEntity; connection: ConnectionEntity }> {
  const integration = await deps.integrations.find(environmentId, body.integration_id);
  if (!integration) throw invalidField('invalid_body', ['integration_id'], `Integration "${body.integration_id}" does not exist`);
  const connection = await deps.connections.find(environmentId, integration.id, body.connection_id);
  if (!connection) {
    throw invalidField('invalid_body', ['connection_id'], `Connection "${body.connection_id}" of integration "${body.integration_id}" does not exist`);
  }
  return { integration, connection };
}

/** The connect session routes. */
export function connectSessionsRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const sessions = new ConnectSessionStore(deps.db);
  const urls = { connectUrl: deps.config.connectUrl, serverUrl: deps.config.serverUrl };

  const checkIntegrations = async (environmentId: string, body: SharedBody & { allowed_integrations?: string[] }) => {
    const known = new Set((await deps.integrations.list(environmentId)).map((i) => i.uniqueKey));
    const errors = unknownIntegrations(known, body);
    if (errors.length > 0) throw new ValidationError('invalid_body', 'Unknown integrations in the request body', { errors });
  };

  router.post('/connect/sessions', doc({
    summary: 'Create a connect session: a token and a link to the Connect UI for one end user',
    body: createSessionBody,
    responses: { 201: { description: 'The session\'s token and link', schema: createdSessionBody } },
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(createSessionBody, ctx.request.body, 'invalid_body');
    refusePrivateWebhookUrl(body.webhook_url_override, 'webhook_url_override', deps.config.allowPrivateNetworkTargets);
    const environmentId = ctx.state.caller.environment.id;
    await checkIntegrations(environmentId, body);
    const { token, session } = await sessions.create({
      ...sessionFields(body),
      environmentId,
      // As Nango: an empty list means no restriction.
      allowedIntegrations: body.allowed_integrations && body.allowed_integrations.length > 0 ? body.allowed_integrations : null,
      connectionRowId: null,
    });
    ctx.status = 201;
    ctx.body = { data: presentCreatedSession(token, session, urls) };
  });

  router.post('/connect/sessions/reconnect', doc({
    summary: 'Create a session that re-authorizes an existing connection',
    body: reconnectSessionBody,
    responses: { 201: { description: 'The session\'s token and link', schema: createdSessionBody } },
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(reconnectSessionBody, ctx.request.body, 'invalid_body');
    refusePrivateWebhookUrl(body.webhook_url_override, 'webhook_url_override', deps.config.allowPrivateNetworkTargets);
    const environmentId = ctx.state.caller.environment.id;
    const { integration, connection } = await reconnectTarget(deps, environmentId, body);
    await checkIntegrations(environmentId, body);
    const fields = sessionFields(body);
    const { token, session } = await sessions.create({
      ...fields,
      // Without an end user in the body, the Connect UI shows the connection's own.
      endUser: fields.endUser ?? (connection.endUser as EndUser | null),
      environmentId,
      allowedIntegrations: [integration.uniqueKey],
      connectionRowId: connection.id,
    });
    ctx.status = 201;
    ctx.body = { data: presentCreatedSession(token, session, urls) };
  });

  router.get('/connect/session', doc({
    summary: 'The session, as the Connect UI reads it',
    responses: { 200: { description: 'The session', schema: connectSessionBody } },
  }), requireSession(deps), (ctx) => {
    const { caller } = ctx.state;
    if (caller.kind !== 'session') throw new Error('requireSession let a non-session caller through');
    ctx.body = { data: presentConnectSession(caller.session, caller.environment) };
  });

  router.delete('/connect/session', doc({
    summary: 'End the session (its token stops working)',
    responses: { 204: { description: 'Ended' } },
  }), requireSession(deps), async (ctx) => {
    const { caller } = ctx.state;
    if (caller.kind !== 'session') throw new Error('requireSession let a non-session caller through');
    await sessions.revoke(caller.session);
    ctx.status = 204;
  });

  // Connect UI telemetry (open, view:list, click:connect…): accepted and ignored. No auth is required:
  // the UI sends its token in the body, not in a header, and checking it would cost a lookup for data
  // we drop anyway. It is limited per client address, then its body is bounded (1 MB → 413) and checked like any.
  router.post('/connect/telemetry', doc({
    summary: 'Connect UI telemetry: accepted and dropped',
    responses: { 204: { description: 'Accepted' } },
  }), rateLimitByAddress(deps.config.rateLimits.telemetry, deps.config.trustProxy), jsonBody(), (ctx) => {
    ctx.status = 204;
  });

  return router;
}
