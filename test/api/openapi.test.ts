import { expect } from 'chai';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import type Router from '@koa/router';
import { apiRouters } from '../../src/api/app';
import type { ApiState } from '../../src/api/context';
import { buildOpenApiDocument, openApiPath } from '../../src/api/openapi/build-document';
import { routeDocOf, type RouteDoc } from '../../src/api/openapi/route-doc';
import { ERROR_CATALOGUE } from '../../src/error-catalogue';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';

/** Every method and path the routers serve, read straight off their @koa/router stacks (HEAD is Koa's echo of GET). */
function routerStackRoutes(routers: Router<ApiState>[]): Array<{ method: string; path: string; stack: unknown[] }> {
  return routers.flatMap((router) => router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path), stack: layer.stack as unknown[] }))));
}

type Operation = { security: unknown[]; responses: Record<string, { content?: Record<string, { schema: { allOf?: Array<{ properties?: { error: { properties: { code: { enum: string[] } } } } }> } }> }>; requestBody?: unknown; parameters?: Array<{ name: string; in: string }> };

describe('OpenAPI 3.1 document (GET /openapi.json)', function () {
  this.timeout(30_000);
  let api: TestApi;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };
  let routers: Router<ApiState>[];

  before(async () => {
    api = await startTestApi();
    routers = apiRouters(api.deps);
    const res = await http(api.url, 'GET', '/openapi.json');
    expect(res.status).to.equal(200);
    document = res.body;
  });
  after(() => api?.close());

  const operation = (method: string, path: string): Operation => document.paths[path]![method]!;

  it('is valid OpenAPI 3.1 for a standard validator (@readme/openapi-parser: schema and semantic checks)', async () => {
    expect(document.openapi).to.equal('3.1.0');
    const result = await validateOpenApi(structuredClone(document) as never);
    expect(result.valid, JSON.stringify(result)).to.equal(true);
    expect(result.warnings).to.deep.equal([]);
  });

  it('describes every route the routers serve, and nothing else; every route has a doc({...}) with its path parameters', () => {
    const served = routerStackRoutes(routers).map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).to.deep.equal(served);
    expect(served.length).to.be.greaterThan(40);
    // A route added without a description fails here, by name.
    expect(buildOpenApiDocument(routers, { serverUrl: api.url, version: '0' }).problems).to.deep.equal([]);
  });

  it('states each route\'s authentication as its middleware enforces it', () => {
    expect(operation('get', '/connections').security).to.deep.equal([{ secretKey: [] }]);
    expect(operation('get', '/connect/session').security).to.deep.equal([{ connectSessionToken: [] }, { connectSessionTokenQuery: [] }]);
    expect(operation('get', '/providers').security).to.deep.equal([{ secretKey: [] }, { connectSessionToken: [] }, { connectSessionTokenQuery: [] }]);
    expect(operation('get', '/health').security).to.deep.equal([]);
    expect(operation('get', '/oauth/callback').security).to.deep.equal([]);
  });

  it('lists error codes of the catalogue by status, with the envelope; auth, validation and limits derived from the route', () => {
    const codesAt = (op: Operation, status: number) => op.responses[String(status)]?.content?.['application/json']?.schema.allOf?.[1]?.properties?.error.properties.code.enum ?? [];
    const getConnection = operation('get', '/connections/{connectionId}');
    expect(codesAt(getConnection, 401)).to.have.members(['missing_auth_header', 'malformed_auth_header', 'invalid_secret_key_format', 'unknown_account']);
    expect(codesAt(getConnection, 400)).to.include.members(['invalid_uri_params', 'invalid_query_params', 'unknown_provider_config', 'invalid_credentials']);
    expect(codesAt(getConnection, 424)).to.deep.equal(['invalid_credentials']);
    expect(codesAt(operation('post', '/integrations'), 413)).to.deep.equal(['payload_too_large']);
    expect(codesAt(operation('post', '/connect/telemetry'), 429)).to.deep.equal(['rate_limited']);
    // The OAuth callback answers its errors as the callback page.
    expect(Object.keys(operation('get', '/oauth/callback').responses['429']!.content!)).to.deep.equal(['text/html']);
    for (const item of Object.values(document.paths)) {
      for (const op of Object.values(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const code of response.content?.['application/json']?.schema.allOf?.[1]?.properties?.error.properties.code.enum ?? []) {
            expect(Object.keys(ERROR_CATALOGUE), code).to.include(code);
            expect(status, code).to.match(/^[45]\d\d$/);
          }
        }
      }
    }
  });

  it('carries the request schemas the routes validate with: a body the schema refuses is refused by the route', async () => {
    const create = operation('post', '/integrations') as Operation & { requestBody: { content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } } } };
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).to.have.members(['provider', 'unique_key']);
    expect(schema.additionalProperties).to.equal(false);
    const refused = await http(api.url, 'POST', '/integrations', { token: api.secretKey, body: { provider: 'github', unique_key: 'x', surprise: 1 } });
    expect(refused.status).to.equal(400);
    expect(refused.body.error.code).to.equal('invalid_body');
    expect(operation('get', '/connections').parameters!.map((p) => `${p.in}:${p.name}`)).to.include.members(['query:endUserId', 'query:integrationId', 'query:limit', 'query:tags']);
  });

  it('real answers match the documented response schemas', async () => {
    const docOf = (method: string, path: string): RouteDoc => {
      const route = routerStackRoutes(routers).find((r) => r.method === method && r.path === path)!;
      return route.stack.map(routeDocOf).find((d) => d !== undefined)!;
    };
    const check = async (method: string, routerPath: string, url: string, options: Parameters<typeof http>[3] = {}) => {
      const res = await http(api.url, method, url, options);
      const documented = docOf(method, routerPath).responses[res.status];
      expect(documented, `${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`).to.not.equal(undefined);
      if (documented!.schema) documented!.schema.parse(res.body);
      return res;
    };
    const token = api.secretKey;
    await check('GET', '/health', '/health');
    await check('GET', '/environment', '/environment', { token });
    await check('PATCH', '/environment', '/environment', { token, body: { connect_ui: { theme: 'dark' } } });
    await check('POST', '/integrations', '/integrations', { token, body: { provider: 'github', unique_key: 'gh', credentials: { type: 'OAUTH2', client_id: 'id', client_secret: 'secret' } } });
    await check('GET', '/integrations/:uniqueKey', '/integrations/gh?include=credentials,webhook', { token });
    await check('PATCH', '/integrations/:uniqueKey', '/integrations/gh', { token, body: { display_name: 'GH' } });
    await check('GET', '/integrations', '/integrations', { token });
    await check('GET', '/providers', '/providers?search=git', { token });
    await check('GET', '/providers/:provider', '/providers/github', { token });
    const session = await check('POST', '/connect/sessions', '/connect/sessions', { token, body: { end_user: { id: 'u1', email: 'u1@example.com' }, allowed_integrations: ['gh'] } });
    await check('GET', '/connect/session', '/connect/session', { token: session.body.data.token });
    await check('GET', '/connections', '/connections', { token });
    await check('POST', '/environment/webhook-signing-key/rotate', '/environment/webhook-signing-key/rotate', { token });
    await check('GET', '/openapi.json', '/openapi.json');
    await check('DELETE', '/integrations/:uniqueKey', '/integrations/gh', { token });
  });
});
