/**
 * Where a credential made here (a JWT, a WSSE token) goes on a request: the entry's `proxy.headers`
 * with `${accessToken}` standing for the token (Ghost: `authorization: Ghost ${accessToken}`, Emarsys:
 * `x-wsse: ${accessToken}`), else `Authorization: Bearer <token>` as Nango sends by default.
 */
import type { ProviderEntry } from '../catalog-schema';
import { parseTemplate, placeholdersOf } from '../template';
import type { CallContext, ConnectionConfig, OutgoingRequest } from './auth-mode';
import { withProxyHeaders } from './outgoing-request';
import { sendVerification } from './send-verification';
import { buildVerificationRequest } from './verification-request';

/** What the header templates of a token-carrying mode read. */
export interface TokenHeaderInput {
  readonly entry: ProviderEntry;
  readonly token: string;
  /** The connection's stored fields (`${credentials.x}`). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly connectionConfig: ConnectionConfig;
}

/** The request with the token on it (the entry's headers, else `Authorization: Bearer`). */
export function withToken(request: OutgoingRequest, input: TokenHeaderInput): OutgoingRequest {
  const { credentials, connectionConfig } = templateInput(input);
  return withProxyHeaders(request, input.entry, { credentials, connectionConfig }, implicitHeaders(input.entry, input.token));
}

/**
 * Checks the token against the entry's verification endpoint, when it declares one (2xx valid, 401/403
 * refused); resolves to whether a check was made.
 */
export async function verifyToken(input: TokenHeaderInput & { readonly secrets: readonly string[] }, call: CallContext): Promise<boolean> {
  const request = buildVerificationRequest({ ...templateInput(input), entry: input.entry }, () => implicitHeaders(input.entry, input.token));
  if (!request) return false;
  await sendVerification(request, {
    provider: input.entry.display_name,
    timeoutMs: call.timeoutMs,
    secrets: [input.token, ...input.secrets],
    fetch: call.fetch,
    refusePrivateUserHosts: call.refusePrivateUserHosts,
  });
  return true;
}

function templateInput(input: TokenHeaderInput) {
  return { entry: input.entry, connectionConfig: input.connectionConfig, credentials: { ...input.fields, access_token: input.token } };
}

/** `Authorization: Bearer <token>` unless one of the entry's headers already carries the token. */
function implicitHeaders(entry: ProviderEntry, token: string): Record<string, string> {
  const templates = [...Object.values(entry.proxy?.headers ?? {}), ...Object.values(entry.proxy?.verification?.headers ?? {})];
  const carried = templates.some((template) => placeholdersOf(parseTemplate(template)).some((placeholder) => placeholder.key === 'access_token'));
  return carried ? {} : { authorization: `Bearer ${token}` };
}
