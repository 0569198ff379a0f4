/**
 * The OpenAPI 3.1 document of the API, built from the routers themselves: every layer of every router
 * becomes an operation; its description comes from the route's {@link doc} middleware (the zod schemas
 * the handler validates with), its security from the route's authentication middleware, its error
 * answers from the error catalogue. A route without a `doc` still appears (with what its middleware
 * tells) and is listed in `problems`, which the OpenAPI test requires to be empty.
 */
import type Router from '@koa/router';
import { catalogueEntry, statusOf, type ErrorCode } from '../../error-catalogue';
import { jsonSchemaOf, type JsonSchema } from './json-schema';
import { routeDocOf, routeTraitOf, type AuthTrait, type ErrorRef, type RouteDoc, type RouteTrait } from './route-doc';
import { ERROR_ENVELOPE } from './error-envelope';

/** One served route: a method and a path of a router layer, with its middleware chain. */
export interface ServedRoute {
  method: string;
  /** The router's path (`/connections/:connectionId`). */
  path: string;
  stack: readonly unknown[];
}

/** Every method and path the routers serve (HEAD, which Koa adds to each GET, left out). */
export function servedRoutes(routers: readonly Router<never>[] | readonly Router<any>[]): ServedRoute[] { // eslint-disable-line @typescript-eslint/no-explicit-any -- any router state
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method, path: String(layer.path), stack: layer.stack })),
    ),
  );
}

/** `/connections/:connectionId` → `/connections/{connectionId}`. */
export function openApiPath(routerPath: string): string {
  return routerPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParamNames(routerPath: string): string[] {
  return [...routerPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

const AUTH_ERRORS: Record<AuthTrait, ErrorCode[]> = {
  secret_key: ['missing_auth_header', 'malformed_auth_header', 'invalid_secret_key_format', 'unknown_account'],
  connect_session: ['missing_auth_header', 'malformed_auth_header', 'invalid_connect_session_token_format', 'unknown_connect_session_token'],
  secret_key_or_session: ['missing_auth_header', 'malformed_auth_header', 'invalid_secret_key_format', 'unknown_account', 'invalid_connect_session_token_format', 'unknown_connect_session_token'],
};

const SECURITY: Record<AuthTrait, Array<Record<string, string[]>>> = {
  secret_key: [{ secretKey: [] }],
  connect_session: [{ connectSessionToken: [] }, { connectSessionTokenQuery: [] }],
  secret_key_or_session: [{ secretKey: [] }, { connectSessionToken: [] }, { connectSessionTokenQuery: [] }],
};

const BODY_READING_ERRORS: ErrorCode[] = ['invalid_json', 'invalid_content_type', 'payload_too_large'];
const METHODS_WITH_BODIES = new Set(['POST', 'PUT', 'PATCH']);

function traitsOf(stack: readonly unknown[]): RouteTrait[] {
  return stack.map(routeTraitOf).filter((t): t is RouteTrait => t !== undefined);
}

/** The error codes a route may answer: derived from its middleware and schemas, plus those its doc names. */
function errorRefsOf(route: ServedRoute, spec: RouteDoc | undefined, traits: RouteTrait[]): ErrorRef[] {
  const refs: ErrorRef[] = [];
  const auth = traits.find((t) => t.kind === 'auth');
  if (auth) refs.push(...AUTH_ERRORS[auth.auth], 'database_unavailable');
  const readsBody = traits.some((t) => t.kind === 'json_body') || (auth !== undefined && METHODS_WITH_BODIES.has(route.method));
  if (readsBody) refs.push(...BODY_READING_ERRORS);
  if (traits.some((t) => t.kind === 'rate_limit')) refs.push('rate_limited');
  if (spec?.params) refs.push('invalid_uri_params');
  if (spec?.query) refs.push('invalid_query_params');
  if (spec?.body) refs.push('invalid_body');
  if (spec?.params || spec?.query || spec?.body) refs.push('invalid_string');
  refs.push(...(spec?.errors ?? []), 'server_error');
  return refs;
}

function statusOfRef(ref: ErrorRef): number {
  return typeof ref === 'string' ? statusOf(ref) : statusOf(ref.code, ref.variant);
}

function codeOfRef(ref: ErrorRef): ErrorCode {
  return typeof ref === 'string' ? ref : ref.code;
}

/** One response per error status: the envelope, its `code` limited to the codes of that status. */
function errorResponses(refs: ErrorRef[], errorPage: RouteDoc['errorPage']): Record<string, unknown> {
  const page = errorPage ? { 'text/html': { schema: { type: 'string', description: 'The callback page, which posts the error to its opener' } } } : {};
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const ref of refs) {
    const status = statusOfRef(ref);
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(codeOfRef(ref)));
  }
  return Object.fromEntries([...byStatus.entries()].sort(([a], [b]) => a - b).map(([status, codes]) => [String(status), {
    description: [...codes].map((code) => `\`${code}\`: ${catalogueEntry(code).meaning}`).join('; '),
    content: {
      ...(errorPage === 'always' ? {} : {
        'application/json': {
          schema: {
            allOf: [
              { $ref: '#/components/schemas/ErrorEnvelope' },
              { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: [...codes] } } } } },
            ],
          },
        },
      }),
      ...page,
    },
  }]));
}

function successResponses(spec: RouteDoc): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec.responses).map(([status, response]) => {
    const headers = response.headers
      ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
      : {};
    const contentType = response.contentType ?? (response.schema ? 'application/json' : undefined);
    const content = contentType ? { content: { [contentType]: { schema: response.schema ? jsonSchemaOf(response.schema, 'output') : { type: 'string' } } } } : {};
    return [status, { description: response.description, ...headers, ...content }];
  }));
}

/** Query or path parameters: one per property of the schema's object. */
function parametersOf(schema: JsonSchema, location: 'query' | 'path'): unknown[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    // `tags[team]=a` style records (bracket parameters).
    const deepObject = rest.type === 'object' ? { style: 'deepObject', explode: true } : {};
    return { name, in: location, required: location === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest, ...deepObject };
  });
}

function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1));
  // `/connect` and `/connect/` are two routes (the page's relative asset URLs differ).
  return `${method.toLowerCase()}${words.join('')}${path.length > 1 && path.endsWith('/') ? 'Slash' : ''}`;
}

function tagOf(path: string, spec: RouteDoc | undefined): string {
  return spec?.tag ?? path.split('/')[1] ?? 'root';
}

function operationOf(route: ServedRoute, problems: string[]): Record<string, unknown> {
  const spec = route.stack.map(routeDocOf).find((d) => d !== undefined);
  const traits = traitsOf(route.stack);
  const auth = traits.find((t): t is Extract<RouteTrait, { kind: 'auth' }> => t.kind === 'auth');
  const name = `${route.method} ${route.path}`;
  if (!spec) problems.push(`${name}: no doc({...}) middleware: describe the route (src/api/openapi/route-doc.ts)`);
  const parameters: unknown[] = [];
  const names = pathParamNames(route.path);
  const pathSchema = spec?.params ? jsonSchemaOf(spec.params, 'input') : { type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])) };
  const declared = Object.keys((pathSchema.properties ?? {}) as object);
  for (const missing of names.filter((n) => !declared.includes(n))) problems.push(`${name}: path parameter "${missing}" is not in the doc's params schema`);
  parameters.push(...parametersOf(pathSchema, 'path').filter((p) => names.includes((p as { name: string }).name)));
  if (spec?.query) parameters.push(...parametersOf(jsonSchemaOf(spec.query, 'input'), 'query'));
  const operation: Record<string, unknown> = {
    operationId: operationId(route.method, route.path),
    summary: spec?.summary ?? '(undocumented)',
    ...(spec?.description ? { description: spec.description } : {}),
    tags: [tagOf(route.path, spec)],
    ...(spec?.deprecated ? { deprecated: true } : {}),
    security: auth ? SECURITY[auth.auth] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
  };
  if (spec?.body) {
    operation.requestBody = { required: !spec.bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(spec.body, 'input') } } };
  }
  operation.responses = { ...(spec ? successResponses(spec) : { default: { description: '(undocumented)' } }), ...errorResponses(errorRefsOf(route, spec, traits), spec?.errorPage) };
  return operation;
}

/** The document and what keeps it from being complete (undocumented routes, undeclared path parameters). */
export interface BuiltDocument {
  document: Record<string, unknown>;
  problems: string[];
}

/** Builds the OpenAPI 3.1 document of `routers`. */
export function buildOpenApiDocument(routers: readonly Router<any>[], options: { serverUrl: string; version: string }): BuiltDocument { // eslint-disable-line @typescript-eslint/no-explicit-any -- any router state
  const problems: string[] = [];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of servedRoutes(routers)) {
    const path = openApiPath(route.path);
    const item = (paths[path] ??= {});
    const method = route.method.toLowerCase();
    if (item[method]) {
      problems.push(`${route.method} ${route.path}: served twice`);
      continue;
    }
    item[method] = operationOf(route, problems);
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Custodian API',
      version: options.version,
      description: 'Self-hosted credential orchestrator; compatible with Nango\'s Auth API (`@nangohq/node`). Every error answer is the `ErrorEnvelope`; its codes are listed per status.',
    },
    servers: [{ url: options.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', description: 'The environment\'s secret key (a UUID v4): `Authorization: Bearer <secret key>`.' },
        connectSessionToken: { type: 'http', scheme: 'bearer', description: 'A connect session token (`nango_connect_session_…`), as the Connect UI sends it.' },
        connectSessionTokenQuery: { type: 'apiKey', in: 'query', name: 'connect_session_token', description: 'A connect session token in the query (browser redirects and popups).' },
      },
      schemas: { ErrorEnvelope: jsonSchemaOf(ERROR_ENVELOPE, 'output') },
    },
  };
  return { document, problems };
}
