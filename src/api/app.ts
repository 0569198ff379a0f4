/** The Koa application: error handler first, then no-store, CORS, the request target's checks and the routers (bodies are read after authentication). */
import Koa from 'koa';
import type { ApiDeps, ApiState } from './context';
import { browserCors } from './middleware/browser-cors';
import { errorHandler } from './middleware/error-handler';
import { noStore } from './middleware/no-store';
import { requestTarget } from './middleware/request-target';
import { connectSessionsRouter } from './routes/connect-sessions';
import { connectUiRouter } from './routes/connect-ui';
import { authFlowsRouter } from './routes/auth-flows';
import { clientMetadataRouter } from './routes/client-metadata';
import { connectionsRouter } from './routes/connections';
import { environmentRouter } from './routes/environment';
import { healthRouter } from './routes/health';
import { integrationsRouter } from './routes/integrations';
import { openApiRouter } from './routes/openapi';
import { providersRouter } from './routes/providers';
import { proxyRouter } from './routes/proxy';
import type Router from '@koa/router';

/** Every router of the API, in mounting order; `/openapi.json` describes them all (itself included). */
export function apiRouters(deps: ApiDeps): Router<ApiState>[] {
  const routers = [healthRouter(deps), environmentRouter(deps), integrationsRouter(deps), providersRouter(deps), connectionsRouter(deps), connectSessionsRouter(deps), authFlowsRouter(deps), clientMetadataRouter(deps), connectUiRouter(deps), proxyRouter(deps)];
  routers.push(openApiRouter(deps, () => routers));
  return routers;
}

/** Builds the API. */
export function createApp(deps: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>({ proxy: true });
  // Errors are rendered by errorHandler; Koa's default handler would print them (with bodies) to stderr.
  app.silent = true;
  app.use(errorHandler(deps.logger));
  app.use(noStore());
  app.use(browserCors());
  app.use(requestTarget());
  // JSON bodies are read by the authentication middleware (after it), or per route on the few open ones.
  for (const router of apiRouters(deps)) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: false }));
  }
  return app;
}
