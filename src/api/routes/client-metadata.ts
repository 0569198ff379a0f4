/**
 * `GET /mcp/client-metadata/:environmentId/:key.json`: the Client ID Metadata Document of an
 * integration whose auth mode presents one as its `client_id` (MCP). Public, without authentication:
 * authorization servers fetch it to learn who the client is. It holds only non-secret metadata: the
 * URL itself, a name, the environment's callback URL, and that the client is public.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { authModeStrategy } from '../../../providers/auth-modes';
import { clientMetadataDocument } from '../../../providers/auth-modes/mcp-client-metadata';
import { callbackUrlFor } from '../../authorization/callback-url';
import { CLIENT_METADATA_ROUTE, CLIENT_METADATA_SUFFIX, clientMetadataUrlFor } from '../../authorization/client-metadata-url';
import { NotFoundError } from '../../errors';
import { rateLimitByAddress } from '../rate-limit';
import type { ApiDeps, ApiState } from '../context';
import { validate } from '../validation';
import { doc } from '../openapi/route-doc';

const clientMetadataBody = z.object({ client_id: z.url(), client_name: z.string(), redirect_uris: z.array(z.url()) }).catchall(z.unknown());

const params = z.object({
  environmentId: z.uuid(),
  document: z.string().min(CLIENT_METADATA_SUFFIX.length + 1).max(255 + CLIENT_METADATA_SUFFIX.length).endsWith(CLIENT_METADATA_SUFFIX),
});
// Authorization servers cache the document by HTTP rules: short, so a changed callback URL reaches them soon.
const CACHE_CONTROL = 'public, max-age=300';

/** The client metadata route. */
export function clientMetadataRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();

  router.get(CLIENT_METADATA_ROUTE, doc({
    summary: "An MCP integration's Client ID Metadata Document (public: authorization servers fetch it)",
    tag: 'mcp',
    params,
    responses: { 200: { description: 'The document: client_id (this URL), client_name, redirect_uris, token_endpoint_auth_method none', schema: clientMetadataBody } },
    errors: ['not_found'],
  }), rateLimitByAddress(deps.config.rateLimits.clientMetadata, deps.config.trustProxy), async (ctx) => {
    const { environmentId, document } = validate(params, ctx.params, 'invalid_uri_params');
    const key = document.slice(0, -CLIENT_METADATA_SUFFIX.length);
    const environment = await deps.environments.findById(environmentId);
    const integration = environment ? await deps.integrations.find(environment.id, key) : undefined;
    const entry = integration ? deps.catalog.get(integration.provider) : undefined;
    // One answer for every miss, so the route says nothing about which environments or keys exist.
    if (!environment || !integration || !entry || authModeStrategy(entry.auth_mode)?.servesClientMetadata !== true) throw new NotFoundError('No such client');
    ctx.set('Cache-Control', CACHE_CONTROL);
    ctx.body = clientMetadataDocument({
      clientId: clientMetadataUrlFor(environment, integration.uniqueKey, deps.config),
      redirectUri: callbackUrlFor(environment, deps.config),
      clientName: integration.displayName ?? entry.display_name,
    });
  });

  return router;
}
