/**
 * `/proxy/*`, any method (API.md §8): the route `@nangohq/node`'s `proxy`, `get`, `post`, `put`, `patch`
 * and `delete` call. A secret key only (a connect session never opens it); the body is not parsed here,
 * it streams to the provider, and the provider's answer streams back.
 */
import Router from '@koa/router';
import { ConnectionService } from '../../connections/connection-service';
import { readProxyBody } from '../../proxy/proxy-body';
import { readProxyHeaders } from '../../proxy/proxy-headers';
import { ProxyService } from '../../proxy/proxy-service';
import { requireSecretKeyStreamingBody } from '../auth/authenticate';
import type { ApiDeps, ApiState } from '../context';
import { doc } from '../openapi/route-doc';

const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function proxyRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const connectionService = new ConnectionService({ db: deps.db, cipher: deps.cipher, catalog: deps.catalog, config: deps.config, connections: deps.connections, temporal: deps.temporal, logger: deps.logger });
  const proxy = new ProxyService({ db: deps.db, catalog: deps.catalog, cipher: deps.cipher, config: deps.config, integrations: deps.integrations, connections: deps.connections, service: connectionService });

  router.register('/proxy{/*path}', [...PROXY_METHODS], [
    doc({
      summary: "Call the provider's API with the connection's credentials (Nango's proxy)",
      description:
        'The path after /proxy and the query go to the provider (Base-Url-Override, else the catalog\'s proxy.base_url). Only Nango-Proxy-<name> headers are forwarded, as <name>. The provider\'s status, headers (less hop-by-hop, access-control-* and set-cookie) and body come back as they came.',
      tag: 'proxy',
      responses: { 200: { description: "The provider's answer, streamed (any status the provider gives)", contentType: '*/*' } },
      errors: ['invalid_headers', { code: 'unknown_provider_config', variant: 'not_found' }, 'unknown_connection', 'invalid_credentials', 'unsupported_provider', 'private_network_target', 'rate_limited', 'provider_unreachable', 'provider_timeout', 'temporal_unavailable'],
    }),
    requireSecretKeyStreamingBody(deps),
    async (ctx) => {
      const { control, forwarded } = readProxyHeaders(ctx.req);
      const body = await readProxyBody(ctx.req);
      const endpoint = ctx.originalUrl.replace(/^\/proxy\/?/, '/');
      const answer = await proxy.forward({ environment: ctx.state.caller.environment, method: ctx.method, endpoint, control, forwarded, body });
      ctx.status = answer.status;
      // The provider's headers replace ours of the same name (its caching rules, its content type).
      for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
      // A caller that goes away mid-answer makes Koa destroy the provider's stream, which then errors
      // (aborted): expected, and nothing else listens, so it must not become an uncaught error.
      answer.body.on('error', (error: Error) => deps.logger.debug({ err: error.message }, 'proxied answer stream ended early'));
      ctx.body = answer.body;
    },
  ]);
  return router;
}
