/**
 * Which OAuth client an MCP flow authorizes as (MCP 2025-11-25, "Client Registration Approaches"):
 *
 * - `static`: the integration's own client id and secret (pre-registration);
 * - `cimd`: the https URL of the Client ID Metadata Document Custodian serves for the integration IS the
 *   client id (draft-ietf-oauth-client-id-metadata-document); a public client, nothing to store;
 * - `dynamic`: an RFC 7591 registration at the authorization server's registration endpoint, made once
 *   per integration and endpoint and reused: the registered client goes back to the caller as
 *   `integrationCustom` (kept encrypted on the integration) and comes back in `client.custom`. A new
 *   registration is made only when the callback URL or the token endpoint it was made for has changed;
 *   its secret, if the server issued one, is only ever sent to that token endpoint.
 *
 * Registrations ask for a public client (`token_endpoint_auth_method: none`, PKCE protects the code), as
 * the MCP examples do; a server that issues a secret anyway gets it back on every token request.
 */
import { CustodianError } from '../../src/errors';
import { callProvider } from '../calls/call-provider';
import type { CallContext, IntegrationClient } from './auth-mode';
import type { ClientAuthMethod } from './oauth2-token-request';

/** The client an MCP flow authorizes as. */
export interface McpClient {
  readonly clientId: string;
  /** Absent for public clients (CIMD, most registrations, a static client without secret). */
  readonly clientSecret?: string;
  readonly authMethod: ClientAuthMethod;
}

/**
 * How the client is obtained. `discovered`: for a server the end user named, the spec's order without
 * pre-registration (CIMD, then registration): the integration's own client and secret are never
 * presented to a server someone else chose.
 */
export type RegistrationApproach = 'static' | 'cimd' | 'dynamic' | 'discovered';

/** Input of {@link chooseClient}. */
export interface ChooseClientInput {
  readonly approach: RegistrationApproach;
  readonly integration: IntegrationClient;
  readonly redirectUri: string;
  readonly clientMetadataUrl?: string;
  /** Where the browser is sent: tells whether the authorization server can fetch our document at all. */
  readonly authorizationEndpoint: string;
  readonly registrationEndpoint?: string;
  /** The token endpoint the client will be used at: a registration's secret is only ever sent there. */
  readonly tokenEndpoint: string;
  /** The authorization server says it accepts Client ID Metadata Documents (only `discovered` asks). */
  readonly acceptsClientMetadata?: boolean;
  /** RFC 7591 metadata from the catalog (`grant_types`, `response_types`…), over our defaults. */
  readonly registrationParams?: Readonly<Record<string, string | readonly string[]>>;
  /** The static client's authentication when it has a secret (the catalog's `client_secret_basic` or `_post`). */
  readonly staticAuthMethod?: ClientAuthMethod;
  readonly provider: string;
  readonly call: CallContext;
}

/** The chosen client, and the new registration to keep on the integration, if one was made. */
export interface ClientChoice {
  readonly client: McpClient;
  readonly integrationCustom?: Readonly<Record<string, string>>;
}

/** A registration as kept in the integration's custom secrets. */
interface StoredRegistration {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly token_endpoint_auth_method: ClientAuthMethod;
  /** The callback URL the client was registered with. */
  readonly redirect_uri: string;
  /** The token endpoint of the server that issued it, the only place its secret goes. */
  readonly token_endpoint: string;
}

/** The custom-secrets key of the registration made at `registrationEndpoint` (one per authorization server). */
export function registrationKey(registrationEndpoint: string): string {
  return `mcp_registration:${registrationEndpoint}`;
}

const CLIENT_NAME = 'Custodian';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Fields a catalog may not change: they bind the registration to our callback and to a public client.
const OWN_METADATA = new Set(['redirect_uris', 'token_endpoint_auth_method', 'client_id', 'client_secret']);

/** Picks (and, for `dynamic`, registers or reuses) the client for one authorization. */
export async function chooseClient(given: ChooseClientInput): Promise<ClientChoice> {
  const input = { ...given, clientMetadataUrl: reachableDocument(given.clientMetadataUrl, given.authorizationEndpoint) };
  const approach = input.approach === 'discovered' ? discoveredApproach(input) : input.approach;
  switch (approach) {
    case 'static':
      return { client: staticClient(input) };
    case 'cimd':
      if (input.clientMetadataUrl === undefined) {
        throw new CustodianError('mcp_no_client', `${input.provider} identifies clients by a Client ID Metadata Document, which needs SERVER_URL to be a public https URL`);
      }
      return { client: { clientId: input.clientMetadataUrl, authMethod: 'none' } };
    default:
      return registeredClient(input);
  }
}

/**
 * Our document's URL when the authorization server can fetch it: an https URL (the draft requires
 * one), or, for tests and local development, a loopback URL when the authorization server is on
 * loopback too. A `http://localhost` SERVER_URL is never offered to a server on the internet, which
 * could not fetch it and would refuse the client.
 */
function reachableDocument(url: string | undefined, authorizationEndpoint: string): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const document = new URL(url);
  if (document.protocol === 'https:') return url;
  return document.protocol === 'http:' && LOOPBACK_HOSTS.has(document.hostname) && LOOPBACK_HOSTS.has(new URL(authorizationEndpoint).hostname) ? url : undefined;
}

/** Where a renewal's client may come from. */
export interface RenewalClientInput {
  readonly clientId: string;
  readonly authMethod: ClientAuthMethod | undefined;
  /** The token endpoint about to be called: a registration's secret goes only to the one that issued it. */
  readonly tokenEndpoint: string;
  /** The catalog fixed the server (MCP_OAUTH2): the integration's own client may be used with it. */
  readonly integrationClientAllowed: boolean;
}

/**
 * The client a stored connection refreshes with: the integration's own (catalog servers only), else
 * the registration of `clientId` made at this token endpoint's server, else a public client.
 */
export function clientForRenewal(integration: IntegrationClient, input: RenewalClientInput): McpClient {
  const { clientId, authMethod } = input;
  if (input.integrationClientAllowed && integration.clientId === clientId) {
    const secret = integration.clientSecret ?? undefined;
    return { clientId, ...(secret ? { clientSecret: secret } : {}), authMethod: authMethod ?? (secret ? 'client_secret_post' : 'none') };
  }
  for (const [key, value] of Object.entries(integration.custom)) {
    if (!key.startsWith('mcp_registration:')) continue;
    const stored = parseRegistration(value);
    if (stored?.client_id === clientId && stored.token_endpoint === input.tokenEndpoint) return fromStored(stored);
  }
  // A public client (CIMD, or a registration since replaced): its id is all a refresh needs.
  return { clientId, authMethod: 'none' };
}

function discoveredApproach(input: ChooseClientInput): Exclude<RegistrationApproach, 'discovered'> {
  if (input.acceptsClientMetadata === true && input.clientMetadataUrl !== undefined) return 'cimd';
  if (input.registrationEndpoint !== undefined) return 'dynamic';
  throw new CustodianError(
    'mcp_no_client',
    `${input.provider} offers no client registration${input.acceptsClientMetadata === true ? ' and SERVER_URL is no public https URL for a Client ID Metadata Document' : ' and accepts no Client ID Metadata Document'}; a pre-registered client needs an MCP_OAUTH2 entry naming the server`,
  );
}

function staticClient(input: ChooseClientInput): McpClient {
  const { clientId, clientSecret } = input.integration;
  if (clientId === null || clientId === '') throw new CustodianError('integration_missing_client', 'The integration has no OAuth client id');
  if (clientSecret === null || clientSecret === '') return { clientId, authMethod: 'none' };
  return { clientId, clientSecret, authMethod: input.staticAuthMethod ?? 'client_secret_post' };
}

async function registeredClient(input: ChooseClientInput): Promise<ClientChoice> {
  const endpoint = input.registrationEndpoint;
  if (endpoint === undefined) throw new CustodianError('mcp_no_client', `${input.provider} has no client registration endpoint`);
  const key = registrationKey(endpoint);
  const stored = parseRegistration(input.integration.custom[key]);
  if (stored && stored.redirect_uri === input.redirectUri && stored.token_endpoint === input.tokenEndpoint) return { client: fromStored(stored) };
  const registration = await register(endpoint, input);
  return { client: fromStored(registration), integrationCustom: { [key]: JSON.stringify(registration) } };
}

/** RFC 7591 §3.1: POST the client metadata as JSON; §3.2.1: 201 (some answer 200) with at least `client_id`. */
async function register(endpoint: string, input: ChooseClientInput): Promise<StoredRegistration> {
  const catalogMetadata = Object.fromEntries(Object.entries(input.registrationParams ?? {}).filter(([name]) => !OWN_METADATA.has(name)));
  const metadata = {
    client_name: CLIENT_NAME,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...catalogMetadata,
    redirect_uris: [input.redirectUri],
    token_endpoint_auth_method: 'none',
  };
  const answer = await callProvider({
    provider: input.provider,
    endpoint: 'client registration endpoint',
    url: endpoint,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(metadata),
    timeoutMs: input.call.timeoutMs,
    secrets: [],
    describeBody: describeRegistrationError,
    now: input.call.now,
    fetch: input.call.fetch,
    refusePrivateTargets: input.call.refusePrivateUserHosts === true,
  });
  if (!answer.ok) throw answer.refused('mcp_registration_failed');
  const body = parseObject(answer.body);
  const clientId = body?.['client_id'];
  if (typeof clientId !== 'string' || clientId === '') throw answer.refused('mcp_registration_failed', ' without a client_id');
  const secret = body?.['client_secret'];
  const clientSecret = typeof secret === 'string' && secret !== '' ? secret : undefined;
  return {
    client_id: clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    token_endpoint_auth_method: authMethodOf(body?.['token_endpoint_auth_method'], clientSecret),
    redirect_uri: input.redirectUri,
    token_endpoint: input.tokenEndpoint,
  };
}

/** The method the server registered; RFC 7591 §2 makes `client_secret_basic` the default for a client with a secret. */
function authMethodOf(value: unknown, clientSecret: string | undefined): ClientAuthMethod {
  if (clientSecret === undefined) return 'none';
  return value === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic';
}

function fromStored(stored: StoredRegistration): McpClient {
  return {
    clientId: stored.client_id,
    ...(stored.client_secret ? { clientSecret: stored.client_secret } : {}),
    authMethod: stored.client_secret ? stored.token_endpoint_auth_method : 'none',
  };
}

function parseRegistration(value: string | undefined): StoredRegistration | undefined {
  if (value === undefined) return undefined;
  const parsed = parseObject(value);
  if (typeof parsed?.['client_id'] !== 'string' || typeof parsed['redirect_uri'] !== 'string' || typeof parsed['token_endpoint'] !== 'string') return undefined;
  return parsed as unknown as StoredRegistration;
}

/** RFC 7591 §3.2.2 error body: ` (invalid_redirect_uri): description`. */
function describeRegistrationError(text: string): string {
  const body = parseObject(text);
  const error = typeof body?.['error'] === 'string' ? body['error'].replace(/[^\w.:-]/g, '_').slice(0, 64) : undefined;
  if (error === undefined) return '';
  const description = body?.['error_description'];
  return ` (${error})${typeof description === 'string' && description.trim() !== '' ? `: ${description.replace(/\s+/g, ' ').trim()}` : ''}`;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
