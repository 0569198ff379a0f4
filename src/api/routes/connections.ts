/** `/connections` and the legacy `/connection` paths (API.md §2). */
import { refusePrivateWebhookUrl } from '../webhook-target-check';
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authModeStrategy, strategyOfCredentials } from '../../../providers/auth-modes';
import { ConnectionService, InvalidCredentialsError, type Scope } from '../../connections/connection-service';
import type { Credentials } from '../../connections/credentials';
import { OperationLogEntity, type ConnectionEntity, type IntegrationEntity } from '../../db/entities';
import { CustodianError, NotFoundError } from '../../errors';
import { catalogEntryOf } from '../../integrations/catalog-entry';
import { requireSecretKey } from '../auth/authenticate';
import type { ApiDeps, ApiState } from '../context';
import { presentConnection, presentConnectionListItem } from '../presenters/connection';
import {
  booleanQuery,
  connectionIdField,
  endUserField,
  importCredentialsField,
  providerConfigKey,
  tagsField,
  webhookUrlOverrideField,
} from '../schemas/connection-fields';
import { metadataConnectionIds, metadataField } from '../schemas/metadata-fields';
import { integerQuery, logCursorQuery, MAX_PAGE } from '../schemas/query-numbers';
import { legacyImportBody, legacyCredentials } from './legacy-connection-import';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';
import { connectionBody, connectionListBody, connectionLogsBody, legacyImportAnswer, metadataWriteBody, successBody } from '../schemas/responses';
import { bodyOrEmpty } from '../middleware/json-body';
import { bracketParams, withoutBracketParams } from '../bracket-params';

const idParams = z.object({ connectionId: connectionIdField });
const getQuery = z.object({
  provider_config_key: providerConfigKey,
  force_refresh: booleanQuery.optional(),
  refresh_token: booleanQuery.optional(),
  refresh_github_app_jwt_token: booleanQuery.optional(),
});
const keyQuery = z.object({ provider_config_key: providerConfigKey });
const listQuery = z.object({
  connectionId: connectionIdField.optional(),
  search: z.string().min(1).max(255).optional(),
  endUserId: z.string().min(1).max(255).optional(),
  endUserOrganizationId: z.string().min(1).max(255).optional(),
  integrationId: z.string().min(1).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  limit: integerQuery(1, 2000).default(100),
  page: integerQuery(0, MAX_PAGE).default(0),
});
const importBody = z.object({
  provider_config_key: providerConfigKey,
  connection_id: connectionIdField.optional(),
  metadata: metadataField.nullable().optional(),
  connection_config: z.record(z.string(), z.unknown()).optional(),
  webhook_url_override: webhookUrlOverrideField.optional(),
  end_user: endUserField.optional(),
  tags: tagsField.optional(),
  credentials: importCredentialsField,
});
const patchBody = z.strictObject({
  end_user: endUserField.nullable().optional(),
  tags: tagsField.optional(),
  webhook_url_override: webhookUrlOverrideField.nullable().optional(),
});
const metadataBody = z.object({
  connection_id: metadataConnectionIds,
  provider_config_key: providerConfigKey,
  metadata: metadataField,
});
const logsQuery = z.object({
  provider_config_key: providerConfigKey,
  limit: integerQuery(1, 500).default(100),
  cursor: logCursorQuery.optional(),
});


/** The connection routes, under both the current and the legacy prefix. */
export function connectionsRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { integrations, connections } = deps;
  const service = new ConnectionService({ db: deps.db, cipher: deps.cipher, catalog: deps.catalog, config: deps.config, connections, temporal: deps.temporal, logger: deps.logger });

  const integrationFor = async (environmentId: string, key: string, missing: () => CustodianError): Promise<IntegrationEntity> => {
    const integration = await integrations.find(environmentId, key);
    if (!integration) throw missing();
    return integration;
  };
  const unknownConfig = (key: string) => () => new CustodianError('unknown_provider_config', `There is no integration with provider_config_key "${key}"`);
  const unknownConnection = (id: string) => new CustodianError('unknown_connection', `Connection "${id}" does not exist`);

  const errorLogId = async (row: ConnectionEntity): Promise<string | null> => {
    if (row.status !== 'invalid') return null;
    const line = await deps.db.getRepository(OperationLogEntity).findOne({ where: { connectionRowId: row.id, level: 'error' }, order: { id: 'DESC' } });
    return line?.id ?? null;
  };

  const importAndPresent = async (scope: Scope, fields: Parameters<ConnectionService['importConnection']>[1]) => {
    const { row } = await service.importConnection(scope, fields);
    return presentConnection(row, { integration: scope.integration, credentials: connections.credentialsOf(row), withRefreshToken: true });
  };

  for (const prefix of ['/connections', '/connection']) {
    // `/connection…`: Nango's older paths, still served for older clients.
    const deprecated = prefix === '/connection';
    router.get(prefix, doc({
      summary: 'List connections (no credentials), filtered by id, search, end user, organization, integration or tags',
      query: listQuery,
      deprecated,
      responses: { 200: { description: 'The connections', schema: connectionListBody } },
    }), requireSecretKey(deps), async (ctx) => {
      const tags = bracketParams(ctx.query, 'tags');
      const withTags = Object.keys(tags).length > 0 ? { ...withoutBracketParams(ctx.query, 'tags'), tags } : ctx.query;
      const query = validate(listQuery, withTags, 'invalid_query_params');
      const environmentId = ctx.state.caller.environment.id;
      const all = await integrations.list(environmentId);
      const byId = new Map(all.map((i) => [i.id, i]));
      const keys = query.integrationId?.split(',').map((k) => k.trim()).filter(Boolean);
      const integrationIds = keys ? all.filter((i) => keys.includes(i.uniqueKey)).map((i) => i.id) : undefined;
      const rows =
        integrationIds && integrationIds.length === 0
          ? []
          : await connections.list(environmentId, { ...query, integrationIds, tags: query.tags && Object.fromEntries(Object.entries(query.tags).map(([k, v]) => [k.toLowerCase(), v])) });
      ctx.body = { connections: rows.map((row) => presentConnectionListItem(row, byId.get(row.integrationId)!)) };
    });

    router.post(`${prefix}/metadata`, doc({
      summary: 'Replace the metadata of one or more connections',
      body: metadataBody,
      deprecated,
      responses: { 201: { description: 'The request, as written', schema: metadataWriteBody } },
      errors: [{ code: 'unknown_connection', variant: 'not_found' }, 'metadata_too_large', 'too_many_connection_ids'],
    }), requireSecretKey(deps), async (ctx) => {
      const body = validate(metadataBody, ctx.request.body, 'invalid_body');
      await writeMetadata(ctx.state.caller.environment.id, body, 'replace');
      ctx.status = 201;
      ctx.body = body;
    });

    router.patch(`${prefix}/metadata`, doc({
      summary: 'Merge into the metadata of one or more connections',
      body: metadataBody,
      deprecated,
      responses: { 200: { description: 'The request, as written', schema: metadataWriteBody } },
      errors: [{ code: 'unknown_connection', variant: 'not_found' }, 'metadata_too_large', 'too_many_connection_ids'],
    }), requireSecretKey(deps), async (ctx) => {
      const body = validate(metadataBody, ctx.request.body, 'invalid_body');
      await writeMetadata(ctx.state.caller.environment.id, body, 'merge');
      ctx.body = body;
    });

    router.get(`${prefix}/:connectionId/logs`, doc({
      summary: 'A connection\'s operation log (refreshes, verifications, webhooks, its authorization attempts), newest first',
      params: idParams,
      query: logsQuery,
      deprecated,
      responses: { 200: { description: 'One page of log lines', schema: connectionLogsBody } },
      errors: ['unknown_provider_config', 'not_found'],
    }), requireSecretKey(deps), async (ctx) => {
      const { connectionId } = validate(idParams, ctx.params, 'invalid_uri_params');
      const query = validate(logsQuery, ctx.query, 'invalid_query_params');
      const environmentId = ctx.state.caller.environment.id;
      const integration = await integrationFor(environmentId, query.provider_config_key, unknownConfig(query.provider_config_key));
      const row = await connections.findIncludingDeleted(environmentId, integration.id, connectionId);
      if (!row) throw new NotFoundError(`Connection "${connectionId}" does not exist`);
      const builder = deps.db
        .getRepository(OperationLogEntity)
        .createQueryBuilder('l')
        // The connection's own lines and every step of the authorization attempts that created or reconnected it.
        .where('(l.connection_row_id = :rowId OR l.auth_attempt_id IN (SELECT a.id FROM auth_attempt a WHERE a.connection_row_id = :rowId))', { rowId: row.id })
        .orderBy('l.id', 'DESC')
        .take(query.limit + 1);
      if (query.cursor) builder.andWhere('l.id < :cursor', { cursor: query.cursor });
      const lines = await builder.getMany();
      const page = lines.slice(0, query.limit);
      ctx.body = {
        data: page.map((l) => ({ id: l.id, type: l.type, level: l.level, message: l.message, context: l.context, created_at: l.createdAt.toISOString() })),
        next_cursor: lines.length > query.limit ? page[page.length - 1]!.id : null,
      };
    });

    router.get(`${prefix}/:connectionId`, doc({
      summary: 'Get a connection with valid credentials (refreshed first when due, or with force_refresh=true)',
      params: idParams,
      query: getQuery,
      deprecated,
      responses: { 200: { description: 'The connection and its credentials', schema: connectionBody } },
      errors: ['unknown_provider_config', 'not_found', 'invalid_credentials', { code: 'invalid_credentials', variant: 'backing_off' }, 'provider_unreachable', 'provider_timeout', 'temporal_unavailable', 'workflow_migration_pending', 'provider_not_in_catalog'],
    }), requireSecretKey(deps), async (ctx) => {
      const { connectionId } = validate(idParams, ctx.params, 'invalid_uri_params');
      const query = validate(getQuery, ctx.query, 'invalid_query_params');
      const { environment } = ctx.state.caller;
      const integration = await integrationFor(environment.id, query.provider_config_key, unknownConfig(query.provider_config_key));
      const row = await connections.find(environment.id, integration.id, connectionId);
      if (!row) throw new NotFoundError(`Connection "${connectionId}" does not exist`);
      const now = new Date();
      let fresh: ConnectionEntity;
      try {
        // `refresh_github_app_jwt_token` asks for a new app JWT: renewing mints one, with a new installation
        // token. Nango acts on it for GitHub App connections only, so other modes ignore it (no refresh spent).
        const appJwtRefresh = query.refresh_github_app_jwt_token === true && strategyOfCredentials(connections.credentialsOf(row)).renewsOnAppJwtRefresh === true;
        const forceRefresh = query.force_refresh === true || appJwtRefresh;
        fresh = await service.readFresh({ environment, integration }, row, { forceRefresh, now });
      } catch (error) {
        if (!(error instanceof InvalidCredentialsError)) throw error;
        const connection = presentConnection(error.connection, { integration, credentials: null, withRefreshToken: false, errorLogId: await errorLogId(error.connection) });
        throw new CustodianError('invalid_credentials', error.message, { variant: error.backingOff ? 'backing_off' : undefined, payload: { connection } });
      }
      connections.touchFetched(fresh, now);
      ctx.body = presentConnection(fresh, { integration, credentials: connections.credentialsOf(fresh), withRefreshToken: query.refresh_token === true });
    });

    router.patch(`${prefix}/:connectionId`, doc({
      summary: 'Change a connection\'s end user, tags or webhook URL override',
      params: idParams,
      query: keyQuery,
      body: patchBody,
      bodyOptional: true,
      deprecated,
      responses: { 200: { description: 'Changed', schema: successBody } },
      errors: ['unknown_provider_config', 'not_found'],
    }), requireSecretKey(deps), async (ctx) => {
      const { connectionId } = validate(idParams, ctx.params, 'invalid_uri_params');
      const { provider_config_key: key } = validate(keyQuery, ctx.query, 'invalid_query_params');
      const body = validate(patchBody, bodyOrEmpty(ctx.request), 'invalid_body');
      refusePrivateWebhookUrl(body.webhook_url_override, 'webhook_url_override', deps.config.allowPrivateNetworkTargets);
      const environmentId = ctx.state.caller.environment.id;
      const integration = await integrationFor(environmentId, key, unknownConfig(key));
      const row = await connections.find(environmentId, integration.id, connectionId);
      if (!row) throw new NotFoundError(`Connection "${connectionId}" does not exist`);
      await connections.edit(row, { endUser: body.end_user, tags: body.tags, webhookUrlOverride: body.webhook_url_override });
      ctx.body = { success: true };
    });

    router.delete(`${prefix}/:connectionId`, doc({
      summary: 'Delete a connection (its workflow ends; a deletion webhook follows)',
      params: idParams,
      query: keyQuery,
      deprecated,
      responses: { 200: { description: 'Deleted', schema: successBody } },
      errors: ['unknown_provider_config', 'unknown_connection', 'temporal_unavailable'],
    }), requireSecretKey(deps), async (ctx) => {
      const { connectionId } = validate(idParams, ctx.params, 'invalid_uri_params');
      const { provider_config_key: key } = validate(keyQuery, ctx.query, 'invalid_query_params');
      const { environment } = ctx.state.caller;
      const integration = await integrationFor(environment.id, key, unknownConfig(key));
      const row = await connections.find(environment.id, integration.id, connectionId);
      if (!row) throw unknownConnection(connectionId);
      await service.deleteConnection({ environment, integration }, row, new Date());
      ctx.body = { success: true };
    });
  }

  router.post('/connections', doc({
    summary: 'Import a connection with credentials obtained elsewhere',
    body: importBody,
    responses: { 201: { description: 'The connection', schema: connectionBody } },
    errors: ['not_found', 'connection_test_failed', 'provider_unreachable', 'provider_timeout', 'temporal_unavailable', 'metadata_too_large', 'provider_not_in_catalog'],
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(importBody, ctx.request.body, 'invalid_body');
    refusePrivateWebhookUrl(body.webhook_url_override, 'webhook_url_override', deps.config.allowPrivateNetworkTargets);
    const { environment } = ctx.state.caller;
    const integration = await integrationFor(environment.id, body.provider_config_key, () => new NotFoundError(`There is no integration with provider_config_key "${body.provider_config_key}"`));
    const { strategy, fields } = importedAs(integration, body.credentials as Record<string, unknown>);
    const credentials = strategy.fromImport(fields, new Date());
    ctx.status = 201;
    ctx.body = await importAndPresent(
      { environment, integration },
      {
        connectionId: body.connection_id ?? randomUUID(),
        credentials,
        expiresAt: strategy.expiresAt(credentials),
        connectionConfig: body.connection_config,
        metadata: body.metadata,
        tags: body.tags,
        endUser: body.end_user,
        webhookUrlOverride: body.webhook_url_override,
      },
    );
  });

  router.post('/connection', doc({
    summary: 'Import a connection, Nango\'s older body (access_token, refresh_token… at the top level)',
    body: legacyImportBody,
    deprecated: true,
    responses: { 201: { description: 'The request body with the connection id', schema: legacyImportAnswer } },
    errors: ['not_found', 'connection_test_failed', 'provider_unreachable', 'provider_timeout', 'temporal_unavailable', 'metadata_too_large', 'provider_not_in_catalog'],
  }), requireSecretKey(deps), async (ctx) => {
    const body = validate(legacyImportBody, ctx.request.body, 'invalid_body');
    const { environment } = ctx.state.caller;
    const integration = await integrationFor(environment.id, body.provider_config_key, () => new NotFoundError(`There is no integration with provider_config_key "${body.provider_config_key}"`));
    const strategy = authModeStrategy(catalogEntryOf(deps.catalog, integration).auth_mode);
    const connectionId = body.connection_id ?? randomUUID();
    const credentials = legacyCredentials(strategy, body, new Date());
    await service.importConnection(
      { environment, integration },
      { connectionId, credentials, expiresAt: strategy!.expiresAt(credentials), connectionConfig: body.connection_config, metadata: body.metadata },
    );
    ctx.status = 201;
    ctx.body = { ...(ctx.request.body as Record<string, unknown>), connection_id: connectionId };
  });

  /**
   * The strategy an import's credentials belong to: their `type`'s, or the integration's mode when the
   * body uses the type Nango's API shows for that mode (MCP credentials typed OAUTH2), re-read with the
   * mode's own import shape.
   */
  function importedAs(integration: IntegrationEntity, credentials: Record<string, unknown>) {
    const own = authModeStrategy(catalogEntryOf(deps.catalog, integration).auth_mode);
    if (own?.presentedType !== undefined && own.presentedType === credentials.type) {
      const fields = validate(own.importSchema, { ...credentials, type: own.authMode }, 'invalid_body');
      return { strategy: own, fields };
    }
    return { strategy: strategyOfCredentials(credentials as unknown as Credentials), fields: credentials };
  }

  async function writeMetadata(environmentId: string, body: z.output<typeof metadataBody>, mode: 'replace' | 'merge'): Promise<void> {
    const integration = await integrations.find(environmentId, body.provider_config_key);
    const ids = Array.isArray(body.connection_id) ? body.connection_id : [body.connection_id];
    if (!integration) throw new NotFoundError(`Unknown connection: ${ids.join(', ')}`, 'unknown_connection');
    await connections.writeMetadata(environmentId, integration.id, ids, body.metadata, mode);
  }

  return router;
}
