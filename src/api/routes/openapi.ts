/** `GET /openapi.json`: the API's OpenAPI 3.1 document, built once from the routers themselves (openapi/build-document.ts). */
import Router from '@koa/router';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../openapi/build-document';
import { doc } from '../openapi/route-doc';
import type { ApiDeps, ApiState } from '../context';
import { openApiBody } from '../schemas/responses';

/** Custodian's version: from the nearest package.json up from here (sources and `dist/` alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  }
  return '0.0.0';
}

/** The route; `routers` are all the app's routers, this one included (read on the first request). */
export function openApiRouter(deps: Pick<ApiDeps, 'config'>, routers: () => readonly Router<ApiState>[]): Router<ApiState> {
  const router = new Router<ApiState>();
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', doc({
    summary: 'This document: every route with its auth, parameters, bodies, answers and error codes',
    tag: 'meta',
    responses: { 200: { description: 'OpenAPI 3.1', schema: openApiBody } },
  }), (ctx) => {
    document ??= buildOpenApiDocument(routers(), { serverUrl: deps.config.serverUrl, version: packageVersion() }).document;
    ctx.body = document;
  });
  return router;
}
