/**
 * How an MCP client finds where to authorize for an MCP server it only knows the URL of (MCP
 * authorization spec, 2025-06-18 and 2025-11-25, "Authorization Server Discovery"):
 *
 * 1. An unauthenticated MCP request; its 401 may name the protected-resource metadata in
 *    `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 9728 §5.1), and the scopes to ask for.
 * 2. Otherwise the well-known URIs of RFC 9728 §3.1: the one with the server's path inserted, then the
 *    root one.
 * 3. The authorization server it names: RFC 8414 metadata, with OpenID discovery as the fallback, in the
 *    order the 2025-11-25 revision fixes for issuers with and without a path.
 *
 * A server with no protected-resource metadata at all (2025-03-26 servers) is its own authorization
 * server, at its origin. Every document is checked before it is used: the resource it describes must be
 * the server we were given (RFC 9728 §3.3), the issuer the one we asked (RFC 8414 §3.3), every endpoint
 * an https URL, and PKCE S256 advertised, without which the spec forbids going on.
 */
import { CustodianError } from '../../src/errors';
import { callProvider } from '../calls/call-provider';
import { urlProblem } from '../url-rules';
import type { CallContext } from './auth-mode';

/** The authorization server of an MCP server, as its metadata describes it. */
export interface McpAuthorizationServer {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly registrationEndpoint?: string;
  /** `client_id_metadata_document_supported`: the server fetches an https `client_id` as a metadata document. */
  readonly clientIdMetadataDocumentSupported: boolean;
}

/** Where the protected-resource metadata came from. */
export type ResourceMetadataSource = 'challenge' | 'well-known-path' | 'well-known-root' | 'none';

/** What discovery learned about one MCP server. */
export interface McpDiscovery {
  /** The canonical URI of the MCP server, sent as RFC 8707 `resource`. */
  readonly resource: string;
  readonly authorizationServer: McpAuthorizationServer;
  /** The scopes the server asked for: its challenge's `scope`, else the metadata's `scopes_supported` (may be empty). */
  readonly scopes: readonly string[];
  readonly resourceMetadataFrom: ResourceMetadataSource;
}

/** What every discovery call needs. */
export interface DiscoveryContext {
  /** The provider's display name, which messages name. */
  readonly provider: string;
  readonly call: CallContext;
}

type Json = Record<string, unknown>;

// The first request of every MCP session (Streamable HTTP transport): a protected server answers it 401.
const INITIALIZE_REQUEST = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'Custodian', version: '1' } },
});

/** Discovers the authorization of the MCP server at `serverUrl` (already checked to be an http(s) URL). */
export async function discoverMcpServer(serverUrl: string, ctx: DiscoveryContext): Promise<McpDiscovery> {
  const challenge = await challengeOf(serverUrl, ctx);
  const found = await protectedResourceMetadata(serverUrl, challenge.resourceMetadata, ctx);
  if (!found) {
    // 2025-03-26 servers publish no RFC 9728 metadata: the server's origin is its authorization server.
    const authorizationServer = await authorizationServerMetadata(new URL(serverUrl).origin, ctx);
    return { resource: canonicalResource(serverUrl), authorizationServer, scopes: challenge.scopes, resourceMetadataFrom: 'none' };
  }
  const resource = checkedResource(found.metadata, serverUrl, ctx);
  const servers = found.metadata['authorization_servers'];
  const issuer = Array.isArray(servers) ? servers.find((server): server is string => typeof server === 'string') : undefined;
  if (issuer === undefined) throw discoveryFailed(ctx, 'its protected-resource metadata names no authorization server');
  // RFC 9728 §7.6 leaves the choice among several to the client: the first is the server's preference.
  const authorizationServer = await authorizationServerMetadata(checkedUrl(issuer, 'authorization server', ctx), ctx);
  const scopes = challenge.scopes.length > 0 ? challenge.scopes : stringList(found.metadata['scopes_supported']);
  return { resource, authorizationServer, scopes, resourceMetadataFrom: found.from };
}

/** The authorization server metadata of `issuer`: RFC 8414 first, then OpenID discovery, as MCP 2025-11-25 orders them. */
export async function authorizationServerMetadata(issuer: string, ctx: DiscoveryContext): Promise<McpAuthorizationServer> {
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const metadata = await getJson(url, ctx);
    if (metadata) return checkedAuthorizationServer(metadata, issuer, ctx);
  }
  throw discoveryFailed(ctx, `its authorization server ${issuer} publishes no OAuth or OpenID metadata`);
}

/** RFC 9728 §3.1 well-known URIs for a resource: path inserted (when it has a path), then the root. */
export function protectedResourceMetadataUrls(serverUrl: string): { url: string; from: ResourceMetadataSource }[] {
  const { origin, pathname } = new URL(serverUrl);
  const path = pathname.replace(/\/+$/, '');
  const root = { url: `${origin}/.well-known/oauth-protected-resource`, from: 'well-known-root' as const };
  return path === '' ? [root] : [{ url: `${origin}/.well-known/oauth-protected-resource${path}`, from: 'well-known-path' }, root];
}

/** The metadata URLs to try for an issuer, in the MCP 2025-11-25 priority order (RFC 8414 §3.1 and §5). */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const { origin, pathname } = new URL(issuer);
  const path = pathname.replace(/\/+$/, '');
  if (path === '') return [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`];
  return [`${origin}/.well-known/oauth-authorization-server${path}`, `${origin}/.well-known/openid-configuration${path}`, `${origin}${path}/.well-known/openid-configuration`];
}

/** The `resource_metadata` and `scope` parameters of a Bearer challenge (RFC 6750 §3, RFC 9728 §5.1). */
export function parseBearerChallenge(header: string | null): { resourceMetadata?: string; scopes: string[] } {
  if (header === null || !/\bbearer\b/i.test(header)) return { scopes: [] };
  const resourceMetadata = authParam(header, 'resource_metadata');
  const scope = authParam(header, 'scope');
  return { ...(resourceMetadata !== undefined ? { resourceMetadata } : {}), scopes: scope === undefined ? [] : scope.split(/\s+/).filter(Boolean) };
}

/**
 * The canonical form of a server URI (MCP "Canonical Server URI"): lower-case scheme and host (the URL
 * parser does that), no fragment, no trailing slash unless the path is only `/`.
 */
export function canonicalResource(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.hash = '';
  if (url.pathname !== '/') url.pathname = url.pathname.replace(/\/+$/, '');
  const text = url.toString();
  return url.pathname === '/' && url.search === '' ? text.slice(0, -1) : text;
}

function authParam(header: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]+))`, 'i').exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}

/** The MCP server's answer to an unauthenticated initialize: a 401 challenge, or nothing usable. */
async function challengeOf(serverUrl: string, ctx: DiscoveryContext): Promise<{ resourceMetadata?: string; scopes: string[] }> {
  const answer = await callProvider({
    provider: ctx.provider,
    endpoint: 'MCP server',
    url: serverUrl,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: INITIALIZE_REQUEST,
    // Not followed: a redirect is the server's answer, and nothing authenticated is sent anyway.
    redirect: 'manual',
    ...callOptions(ctx),
  });
  return answer.status === 401 ? parseBearerChallenge(answer.headers.get('www-authenticate')) : { scopes: [] };
}

async function protectedResourceMetadata(
  serverUrl: string,
  fromChallenge: string | undefined,
  ctx: DiscoveryContext,
): Promise<{ metadata: Json; from: ResourceMetadataSource } | undefined> {
  // The spec: the challenge's URL when there is one, the well-known URIs otherwise (not both).
  if (fromChallenge !== undefined) {
    const metadata = await getJson(checkedUrl(new URL(fromChallenge, serverUrl).toString(), 'resource metadata', ctx), ctx);
    if (!metadata) throw discoveryFailed(ctx, 'the resource metadata its 401 names could not be read');
    return { metadata, from: 'challenge' };
  }
  for (const { url, from } of protectedResourceMetadataUrls(serverUrl)) {
    const metadata = await getJson(url, ctx);
    if (metadata) return { metadata, from };
  }
  return undefined;
}

/**
 * The metadata's `resource`, which must be the server we were given or one that contains it (same
 * origin, a path prefix): metadata describing another resource would bind our tokens to it.
 */
function checkedResource(metadata: Json, serverUrl: string, ctx: DiscoveryContext): string {
  const resource = metadata['resource'];
  if (typeof resource !== 'string' || !URL.canParse(resource)) return canonicalResource(serverUrl);
  const declared = new URL(resource);
  const server = new URL(serverUrl);
  const prefix = declared.pathname.replace(/\/+$/, '');
  const path = server.pathname.replace(/\/+$/, '');
  if (declared.origin !== server.origin || (path !== prefix && !path.startsWith(`${prefix}/`))) {
    throw discoveryFailed(ctx, `its protected-resource metadata describes another resource (${declared.origin}${declared.pathname})`);
  }
  return canonicalResource(resource);
}

function checkedAuthorizationServer(metadata: Json, issuer: string, ctx: DiscoveryContext): McpAuthorizationServer {
  const stated = metadata['issuer'];
  // RFC 8414 §3.3: the issuer in the document is the one it was fetched for (mix-up protection).
  if (typeof stated !== 'string' || stated.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
    throw discoveryFailed(ctx, `the metadata of ${issuer} names another issuer`);
  }
  const methods = stringList(metadata['code_challenge_methods_supported']);
  if (!methods.includes('S256')) {
    throw new CustodianError('mcp_pkce_unsupported', `The authorization server of ${ctx.provider} (${issuer}) does not advertise PKCE S256`);
  }
  const endpoint = (name: string) => {
    const value = metadata[name];
    if (typeof value !== 'string') throw discoveryFailed(ctx, `the metadata of ${issuer} has no ${name}`);
    return checkedUrl(value, name, ctx);
  };
  const registration = metadata['registration_endpoint'];
  return {
    issuer: stated,
    authorizationEndpoint: endpoint('authorization_endpoint'),
    tokenEndpoint: endpoint('token_endpoint'),
    ...(typeof registration === 'string' ? { registrationEndpoint: checkedUrl(registration, 'registration_endpoint', ctx) } : {}),
    clientIdMetadataDocumentSupported: metadata['client_id_metadata_document_supported'] === true,
  };
}

/**
 * A URL a document handed us, checked like a catalog URL: absolute https (plain http only for loopback
 * test servers), no user info. Discovered URLs are used as written, never as templates.
 */
export function checkedUrl(value: string, what: string, ctx: DiscoveryContext): string {
  const problem = value.includes('${') ? 'is not a plain URL' : urlProblem(value);
  if (problem) throw discoveryFailed(ctx, `the discovered ${what} ${problem}`);
  return value;
}

/** A JSON object from a metadata URL, or undefined when the server has none there (a 4xx or a body that is not one). */
async function getJson(url: string, ctx: DiscoveryContext): Promise<Json | undefined> {
  const answer = await callProvider({ provider: ctx.provider, endpoint: 'metadata endpoint', url, method: 'GET', headers: { accept: 'application/json' }, ...callOptions(ctx) });
  if (!answer.ok) return undefined;
  try {
    const value: unknown = JSON.parse(answer.body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    // Some servers answer unknown paths with their web app's HTML page: no metadata here.
    return undefined;
  }
}

function callOptions(ctx: DiscoveryContext) {
  const { call } = ctx;
  // Every host here came, directly or through documents, from the MCP server an end user named.
  return { timeoutMs: call.timeoutMs, secrets: [], now: call.now, fetch: call.fetch, refusePrivateTargets: call.refusePrivateUserHosts === true };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];
}

function discoveryFailed(ctx: DiscoveryContext, reason: string): CustodianError {
  return new CustodianError('mcp_discovery_failed', `The MCP server of ${ctx.provider} could not be used: ${reason}`);
}
