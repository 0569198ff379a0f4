/**
 * TBA (NetSuite token-based authentication): OAuth 1.0a-style signatures without the redirect. The end
 * user types a token id and secret created in NetSuite for the integration's consumer (the integration's
 * client id and secret, or per-connection `oauth_client_*_override`); each request is signed with
 * HMAC-SHA256 over consumer secret and token secret, with the account id as `realm`. Tokens do not
 * expire: they are checked against the verification endpoint now and then when the entry has one.
 *
 * Unlike Nango, the consumer secret is never copied into the connection config (which API answers show):
 * it is read from the integration when a request is signed.
 */
import { z } from 'zod';
import { ConnectionConfigError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import type { TbaCredentials } from '../credentials';
import type { AuthModeStrategy, CallContext, ConnectionConfig, IntegrationClient, OutgoingRequest } from './auth-mode';
import { secretStrings } from './import-fields';
import { oauth1AuthorizationHeader } from './oauth1-signing';
import { withHeaders, withProxyHeaders } from './outgoing-request';
import { sendVerification } from './send-verification';
import { buildVerificationRequest } from './verification-request';

/** Where the realm comes from: NetSuite's account id, which TBA connections carry in their connection config. */
const ACCOUNT_ID = 'accountId';

/** What `POST /auth/tba/:key` receives (Nango's body). */
const formBody = z.object({
  token_id: z.string().min(1),
  token_secret: z.string().min(1),
  oauth_client_id_override: z.string().min(1).optional().meta({ title: 'Consumer Key (optional)', description: 'Only when this connection uses another NetSuite integration record than the integration\'s.' }),
  oauth_client_secret_override: z.string().min(1).optional().meta({ title: 'Consumer Secret (optional)', description: 'The consumer secret of that integration record.', secret: true }),
});

/** A `POST /connections` import: Nango's TBA credentials. */
const importSchema = z.strictObject({
  type: z.literal('TBA'),
  token_id: z.string().min(1),
  token_secret: z.string().min(1),
  config_override: z.strictObject({ client_id: z.string().min(1).max(255).optional(), client_secret: z.string().min(1).max(2048).optional() }).optional(),
});

/** The TBA strategy. */
export const tba: AuthModeStrategy<TbaCredentials> = {
  authMode: 'TBA',
  connect: { kind: 'form', routes: ['/auth/tba/:key'], body: formBody },
  completing: 'checking the token',
  refusedAs: 'connection_test_failed',

  async complete(input, call) {
    const body = formBody.parse(input.received);
    const override = { ...(body.oauth_client_id_override ? { client_id: body.oauth_client_id_override } : {}), ...(body.oauth_client_secret_override ? { client_secret: body.oauth_client_secret_override } : {}) };
    const credentials: TbaCredentials = { type: 'TBA', token_id: body.token_id, token_secret: body.token_secret, ...(Object.keys(override).length > 0 ? { config_override: override } : {}) };
    realmOf(input.connectionConfig);
    await verify(input.entry, credentials, input.connectionConfig, input.client, call);
    return { credentials, expiresAt: null, connectionConfig: {} };
  },

  importSchema,
  fromImport(body) {
    const { token_id: tokenId, token_secret: tokenSecret, config_override: override } = importSchema.parse(body);
    return { type: 'TBA', token_id: tokenId, token_secret: tokenSecret, ...(override === undefined ? {} : { config_override: override }) };
  },
  checksImports: true,

  upkeep: (entry) => ({ kind: entry.proxy?.verification ? 'verify' : 'none', beforeExpiry: true }),

  async renew(input, call) {
    await verify(input.entry, input.credentials, input.connectionConfig, input.client, call);
    return { kind: 'verified' };
  },

  expiresAt: () => null,

  authorize(request, input) {
    const withEntry = withProxyHeaders(request, input.entry, { credentials: {}, connectionConfig: input.connectionConfig });
    return withHeaders(withEntry, { authorization: signedHeader(request, input.credentials, input.connectionConfig, input.client) });
  },

  secretsOf: (credentials) => secretStrings(credentials.token_secret, credentials.config_override?.client_secret),
};

/** `OAuth realm="…", oauth_consumer_key="…", …` for this request (its query parameters are signed). */
function signedHeader(request: Pick<OutgoingRequest, 'method' | 'url'>, credentials: TbaCredentials, connectionConfig: ConnectionConfig, client: IntegrationClient): string {
  const consumer = consumerOf(credentials, client);
  return oauth1AuthorizationHeader({
    method: request.method,
    url: request.url.toString(),
    consumerKey: consumer.key,
    consumerSecret: consumer.secret,
    token: credentials.token_id,
    tokenSecret: credentials.token_secret,
    signatureMethod: 'HMAC-SHA256',
    realm: realmOf(connectionConfig),
  });
}

async function verify(entry: ProviderEntry, credentials: TbaCredentials, connectionConfig: ConnectionConfig, client: IntegrationClient, call: CallContext): Promise<void> {
  const built = buildVerificationRequest({ entry, credentials: {}, connectionConfig });
  if (!built) return;
  const authorization = signedHeader({ method: built.method, url: new URL(built.url) }, credentials, connectionConfig, client);
  await sendVerification({ ...built, headers: { ...built.headers, authorization } }, {
    provider: entry.display_name,
    timeoutMs: call.timeoutMs,
    secrets: [credentials.token_secret, consumerOf(credentials, client).secret],
    fetch: call.fetch,
    refusePrivateUserHosts: call.refusePrivateUserHosts,
  });
}

function consumerOf(credentials: TbaCredentials, client: IntegrationClient): { key: string; secret: string } {
  const key = credentials.config_override?.client_id ?? client.clientId;
  const secret = credentials.config_override?.client_secret ?? client.clientSecret;
  if (!key || !secret) throw new ConnectionConfigError('missing_connection_config', 'Missing value for the consumer key or secret (the integration\'s client id and secret)', ['credentials', 'oauth_client_id_override']);
  return { key, secret };
}

/** NetSuite's realm: the account id upper-cased, `-` as `_` (a sandbox `123456-sb1` is realm `123456_SB1`). */
function realmOf(connectionConfig: ConnectionConfig): string {
  const accountId = connectionConfig[ACCOUNT_ID];
  if (typeof accountId !== 'string' || accountId === '') throw new ConnectionConfigError('missing_connection_config', `Missing value for connectionConfig.${ACCOUNT_ID}`, ['connection_config', ACCOUNT_ID]);
  return accountId.replace(/-/g, '_').toUpperCase();
}
