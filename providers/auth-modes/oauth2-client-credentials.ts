/** OAUTH2_CC: the client credentials grant (RFC 6749 §4.4) with the end user's own client; minted again before expiry. */
import { z } from 'zod';
import type { OAuth2ClientCredentials } from '../credentials';
import type { CallContext, AuthModeStrategy } from './auth-mode';
import { dateOf, expiryField, rawField, secretStrings } from './import-fields';
import { mintClientCredentialsToken } from './oauth2-token-request';
import { withProxyHeaders } from './outgoing-request';
import type { ProviderEntry } from '../catalog-schema';
import type { ConnectionConfig } from './auth-mode';

const importSchema = z.object({ type: z.literal('OAUTH2_CC'), token: z.string().min(1), expires_at: expiryField.optional(), client_id: z.string().min(1), client_secret: z.string().min(1), raw: rawField });

/** What the end user submits; `.meta()` titles the Connect UI's fields when the catalog entry has no schema for them. */
const clientCredentialsForm = z.object({
  client_id: z.string().min(1).max(2048).meta({ title: 'Client ID' }),
  client_secret: z.string().min(1).max(4096).meta({ title: 'Client secret', secret: true }),
});

/** The OAUTH2_CC strategy. */
export const oauth2ClientCredentials: AuthModeStrategy<OAuth2ClientCredentials> = {
  authMode: 'OAUTH2_CC',
  connect: { kind: 'form', routes: ['/oauth2/auth/:key'], body: clientCredentialsForm },
  completing: 'minting a token',
  async complete(input, call) {
    const clientId = String(input.received.client_id);
    const clientSecret = String(input.received.client_secret);
    const credentials = await mint({ entry: input.entry, clientId, clientSecret, scopes: input.client.scopes, connectionConfig: input.connectionConfig }, call);
    return { credentials, expiresAt: dateOf(credentials.expires_at), connectionConfig: credentials.connectionConfig };
  },
  importSchema,
  fromImport: (body) => {
    const parsed = body as z.output<typeof importSchema>;
    return { ...parsed, raw: parsed.raw ?? {} };
  },
  checksImports: false,
  upkeep: () => ({ kind: 'mint', beforeExpiry: true }),
  async renew(input, call) {
    const { credentials } = input;
    const minted = await mint({ entry: input.entry, clientId: credentials.client_id, clientSecret: credentials.client_secret, scopes: input.client.scopes, connectionConfig: input.connectionConfig }, call);
    const { connectionConfig, ...renewed } = minted;
    return { kind: 'renewed', credentials: { ...credentials, ...renewed }, expiresAt: dateOf(renewed.expires_at), connectionConfig };
  },
  expiresAt: (credentials) => dateOf(credentials.expires_at),
  authorize: (request, { entry, credentials, connectionConfig }) => withProxyHeaders(request, entry, { credentials: { accessToken: credentials.token }, connectionConfig }, { authorization: `Bearer ${credentials.token}` }),
  secretsOf: (credentials) => secretStrings(credentials.token, credentials.client_secret),
};

interface MintInput {
  entry: ProviderEntry;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  connectionConfig: ConnectionConfig;
}

async function mint(input: MintInput, call: CallContext): Promise<OAuth2ClientCredentials & { connectionConfig: Record<string, unknown> }> {
  const tokens = await mintClientCredentialsToken({ ...input, ...call });
  return { type: 'OAUTH2_CC', token: tokens.accessToken, expires_at: tokens.expiresAt?.toISOString(), client_id: input.clientId, client_secret: input.clientSecret, raw: tokens.raw, connectionConfig: tokens.connectionConfig };
}
