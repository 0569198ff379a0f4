/** `/integrations`: an environment's configured providers (API.md §3). */
import Router from '@koa/router';
import { z } from 'zod';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import type { IntegrationEntity } from '../../db/entities';
import { isUniqueViolation } from '../../db/unique-violation';
import { catalogEntryOf } from '../../integrations/catalog-entry';
import { authModeStrategy } from '../../../providers/auth-modes';
import { NotFoundError, ValidationError } from '../../errors';
import type { IntegrationFields } from '../../integrations/integration-store';
import { requireSecretKey, requireSecretKeyOrSession } from '../auth/authenticate';
import type { ApiDeps, ApiState } from '../context';
import { presentIntegration } from '../presenters/integration';
import { invalidField, validate } from '../validation';
import { bodyOrEmpty } from '../middleware/json-body';
import { doc } from '../openapi/route-doc';
import { integrationBody, integrationListBody, successBody } from '../schemas/responses';

const uniqueKey = z.string().min(1).max(255).regex(/^[a-zA-Z0-9~:.@ _-]+$/, 'may contain letters, digits and ~:.@ _-');
const providerName = z.string().min(1).max(255).regex(/^[a-zA-Z0-9_-]+$/, 'may contain letters, digits, _ and -');
/** An OAuth client, what most modes' integrations take (a mode with other settings declares its own shape). */
const oauthClientCredentials = z.strictObject({
  // MCP modes too (beyond Nango's public API): a pre-registered MCP client (Asana's, an operator's own).
  type: z.enum(['OAUTH1', 'OAUTH2', 'MCP_OAUTH2', 'MCP_OAUTH2_GENERIC']),
  client_id: z.string().min(1).max(2048),
  client_secret: z.string().min(1).max(4096),
  /** Comma-separated, as Nango takes them. */
  scopes: z.string().max(4096).optional(),
});
/** Checked against the provider's mode once the provider is known (see settingsOf). */
const credentials = z.looseObject({ type: z.string().min(1).max(64) });
const createBody = z.strictObject({
  provider: providerName,
  unique_key: uniqueKey,
  display_name: z.string().min(1).max(255).optional(),
  forward_webhooks: z.boolean().optional(),
  credentials: credentials.optional(),
});
const updateBody = createBody.partial();
const keyParams = z.object({ uniqueKey });
const includeQuery = z.object({
  include: z.union([z.string(), z.array(z.string())]).optional()
    .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(','))))
    .pipe(z.array(z.enum(['credentials', 'webhook']))),
});

/** What the integration stores of a body's `credentials`: the mode's own shape, else an OAuth client. */
function settingsOf(entry: ProviderEntry, given: Record<string, unknown>): Partial<IntegrationFields> {
  const shape = authModeStrategy(entry.auth_mode)?.integrationCredentials;
  if (shape) {
    const settings = shape.toSettings(validate(z.object({ credentials: shape.schema }), { credentials: given }, 'invalid_body').credentials);
    return {
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      ...(settings.scopes !== undefined ? { scopes: [...settings.scopes] } : {}),
      custom: { ...settings.custom },
      customSecrets: { ...settings.customSecrets },
    };
  }
  const oauth = validate(z.object({ credentials: oauthClientCredentials }), { credentials: given }, 'invalid_body').credentials;
  return { clientId: oauth.client_id, clientSecret: oauth.client_secret, ...(oauth.scopes !== undefined ? { scopes: splitScopes(oauth.scopes) } : {}) };
}

function splitScopes(scopes: string): string[] {
  return scopes.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function duplicateKey(key: string): ValidationError {
  return invalidField('invalid_body', ['uniqueKey'], `An integration with unique_key "${key}" already exists`);
}

/** The integration routes. */
export function integrationsRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { catalog, integrations, config } = deps;

  const present = (integration: IntegrationEntity, include: string[] = []) => presentIntegration(integration, {
    serverUrl: config.serverUrl,
    entry: catalog.get(integration.provider),
    withCredentials: include.includes('credentials') ? (i) => integrations.clientSecretOf(i) : undefined,
    // A mode with its own integration settings shows them its way (never its secrets).
    modeCredentials: (i) => {
      const shape = authModeStrategy(catalog.get(i.provider)?.auth_mode ?? '')?.integrationCredentials;
      return shape?.present(integrations.clientOf(i));
    },
    withWebhook: include.includes('webhook'),
  });

  const load = async (environmentId: string, params: unknown): Promise<IntegrationEntity> => {
    const { uniqueKey: key } = validate(keyParams, params, 'invalid_uri_params');
    const integration = await integrations.find(environmentId, key);
    if (!integration) throw new NotFoundError(`Integration "${key}" does not exist`);
    return integration;
  };

  /** The entry of a provider named in a request body (400 `invalid_body` when the catalog has none). */
  const requestedEntry = (provider: string): ProviderEntry => {
    const entry = catalog.get(provider);
    if (!entry) throw invalidField('invalid_body', ['provider'], `Unknown provider "${provider}"`);
    return entry;
  };

  const checkCredentialType = (provider: string, entry: ProviderEntry, credentialType: string | undefined): void => {
    if (credentialType !== undefined && credentialType !== entry.auth_mode) {
      throw invalidField('invalid_body', ['credentials', 'type'], `Provider "${provider}" uses ${entry.auth_mode}, not ${credentialType}`);
    }
  };

  router.get('/integrations', doc({
    summary: 'List the integrations (a session sees only those it allows)',
    responses: { 200: { description: 'The integrations', schema: integrationListBody } },
  }), requireSecretKeyOrSession(deps), async (ctx) => {
    const { caller } = ctx.state;
    const all = await integrations.list(caller.environment.id);
    const allowed = caller.kind === 'session' ? caller.session.allowedIntegrations : null;
    ctx.body = { data: all.filter((i) => !allowed || allowed.includes(i.uniqueKey)).map((i) => present(i)) };
  });

  router.get('/integrations/:uniqueKey', doc({
    summary: 'Get an integration',
    params: keyParams,
    query: includeQuery,
    responses: { 200: { description: 'The integration', schema: integrationBody } },
    errors: ['not_found', 'provider_not_in_catalog'],
  }), requireSecretKey(deps), async (ctx) => {
    const integration = await load(ctx.state.caller.environment.id, ctx.params);
    const { include } = validate(includeQuery, ctx.query, 'invalid_query_params');
    catalogEntryOf(catalog, integration);
    ctx.body = { data: present(integration, include) };
  });

  router.post('/integrations', doc({
    summary: 'Create an integration of a catalog provider',
    body: createBody,
    responses: { 200: { description: 'The integration', schema: integrationBody } },
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(createBody, ctx.request.body, 'invalid_body');
    const entry = requestedEntry(body.provider);
    checkCredentialType(body.provider, entry, body.credentials?.type);
    const settings = body.credentials ? settingsOf(entry, body.credentials) : {};
    const environmentId = ctx.state.caller.environment.id;
    if (await integrations.find(environmentId, body.unique_key)) throw duplicateKey(body.unique_key);
    const fields: IntegrationFields = {
      uniqueKey: body.unique_key,
      provider: body.provider,
      displayName: body.display_name ?? null,
      clientId: null,
      clientSecret: null,
      forwardWebhooks: body.forward_webhooks ?? true,
      ...settings,
      scopes: settings.scopes ?? [...(entry.default_scopes ?? [])],
    };
    try {
      ctx.body = { data: present(await integrations.create(environmentId, fields)) };
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateKey(body.unique_key);
      throw error;
    }
  });

  router.patch('/integrations/:uniqueKey', doc({
    summary: 'Change an integration',
    params: keyParams,
    body: updateBody,
    bodyOptional: true,
    responses: { 200: { description: 'The integration after the change', schema: integrationBody } },
    errors: ['not_found', 'provider_not_in_catalog'],
  }), requireSecretKey(deps), async (ctx) => {
    const environmentId = ctx.state.caller.environment.id;
    const integration = await load(environmentId, ctx.params);
    const body = validate(updateBody, bodyOrEmpty(ctx.request), 'invalid_body');
    const provider = body.provider ?? integration.provider;
    // Without a new provider, the integration's own must still be in the catalog (409 otherwise).
    const entry = body.provider !== undefined ? requestedEntry(body.provider) : catalogEntryOf(catalog, integration);
    checkCredentialType(provider, entry, body.credentials?.type);
    const renaming = body.unique_key !== undefined && body.unique_key !== integration.uniqueKey;
    if ((renaming || provider !== integration.provider) && (await integrations.liveConnectionCount(integration)) > 0) {
      throw invalidField('invalid_body', [renaming ? 'unique_key' : 'provider'],
        'Cannot change the unique_key or provider of an integration that has connections; delete them first');
    }
    if (renaming && (await integrations.find(environmentId, body.unique_key!))) throw duplicateKey(body.unique_key!);
    const changes: Partial<IntegrationFields> = {};
    if (body.unique_key !== undefined) changes.uniqueKey = body.unique_key;
    if (body.provider !== undefined) changes.provider = body.provider;
    if (body.display_name !== undefined) changes.displayName = body.display_name;
    if (body.forward_webhooks !== undefined) changes.forwardWebhooks = body.forward_webhooks;
    if (body.credentials) Object.assign(changes, settingsOf(entry, body.credentials));
    try {
      ctx.body = { data: present(await integrations.update(integration, changes)) };
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateKey(body.unique_key ?? integration.uniqueKey);
      throw error;
    }
  });

  router.delete('/integrations/:uniqueKey', doc({
    summary: 'Delete an integration',
    params: keyParams,
    responses: { 200: { description: 'Deleted', schema: successBody } },
    errors: ['not_found'],
  }), requireSecretKey(deps), async (ctx) => {
    const integration = await load(ctx.state.caller.environment.id, ctx.params);
    await integrations.remove(integration);
    ctx.body = { success: true };
  });

  return router;
}
