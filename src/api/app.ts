/** The Koa application: error handler first, then no-store, CORS, the request target's checks and the routers (bodies are read after authentication). */
import Koa, { type Middleware } from 'koa';
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
  app.use(routersByFirstSegment(apiRouters(deps)));
  return app;
}

/** Middleware run in order, each one's `next` the following one's (what `app.use` does for each in turn). */
function inTurn(middleware: Middleware<ApiState>[]): Middleware<ApiState> {
  return (ctx, next) => {
    const dispatch = (i: number): Promise<unknown> => (i === middleware.length ? next() : Promise.resolve(middleware[i]!(ctx, () => dispatch(i + 1))));
    return dispatch(0);
  };
}

/** A route path's first segment when it is a fixed word (`/connections/:id` → `connections`), else undefined (a parameter, a pattern). */
function fixedFirstSegment(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const segment = path.split('/')[1] ?? '';
  return /^[A-Za-z0-9._~-]+$/.test(segment) ? segment.toLowerCase() : undefined;
}

/**
 * The routers mounted in turn (each one's routes, then its allowed-methods answer), but a request runs
 * only those that can match its path: the routers with a route under the path's first segment (routers
 * match case-insensitively), plus any router with a route whose first segment is not a fixed word. The
 * others could neither match it nor add to the allowed methods, so the answer is the same as with every
 * router in the chain; a path under no known segment still runs them all. The credential read no longer
 * passes through a dozen routers that cannot serve it.
 */
function routersByFirstSegment(routers: Router<ApiState>[]): Middleware<ApiState> {
  const mounted = routers.map((router) => ({
    segments: router.stack.map((layer) => fixedFirstSegment(layer.path)),
    middleware: [router.routes() as Middleware<ApiState>, router.allowedMethods({ throw: false }) as Middleware<ApiState>],
  }));
  const all = inTurn(mounted.flatMap((m) => m.middleware));
  const known = new Set(mounted.flatMap((m) => m.segments.filter((segment) => segment !== undefined)));
  const bySegment = new Map([...known].map((segment) => [segment, inTurn(mounted.filter((m) => m.segments.some((s) => s === undefined || s === segment)).flatMap((m) => m.middleware))]));
  return (ctx, next) => (bySegment.get((ctx.path.split('/')[1] ?? '').toLowerCase()) ?? all)(ctx, next);
}
