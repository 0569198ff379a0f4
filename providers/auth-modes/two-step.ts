/**
 * TWO_STEP: the end user types credentials (keys, passwords, a private key…), and a token request the
 * catalog entry templates (URL, headers, form / JSON / XML body, GET or POST; optionally a signed JWT or
 * SAML assertion, a chain of `additional_steps`) turns them into a token, read from the answer with the
 * entry's `token_response` paths. The typed credentials are kept (encrypted) beside the token, so the
 * connection workflow obtains the next token before this one expires ('mint'), with the entry's refresh
 * request when it has one and the answer gave a refresh token ('refresh').
 */
import { z } from 'zod';
import type { ProviderEntry } from '../catalog-schema';
import type { TwoStepCredentials } from '../credentials';
import { ProviderCallError } from '../calls/provider-call-error';
import { interpolateHeaders } from '../interpolate';
import type { AuthModeStrategy, AuthorizeInput, CallContext, CompleteInput, Obtained, OutgoingRequest, RenewInput, RenewResult } from './auth-mode';
import { expiryField } from './import-fields';
import { requestContext } from './request-context';
import { assertionOptionOf, checkedFields, typedFields, withDefaults, type Fields } from './two-step-fields';
import { obtain, type ObtainInput } from './two-step-token';

const MAX_FIELD_LENGTH = 64 * 1024;
// Typed values shorter than this are not searched for in workflow histories: a region such as `eu` is a
// substring of ordinary words, and no secret worth the name is that short.
const MIN_SECRET_LENGTH = 8;

const fieldValue = z.string().max(MAX_FIELD_LENGTH);

/** What the end user submits (`POST /auth/two-step/:key`), as `@nangohq/frontend`'s `auth()` posts it. */
const connectBody = z
  .object({ type: z.literal('TWO_STEP').optional(), assertionOption: z.record(z.string(), fieldValue).optional() })
  .catchall(fieldValue);

/** `POST /connections` credentials: Nango's `TwoStepCredentials` (the typed fields flat beside the token). */
const importSchema = z
  .object({
    type: z.literal('TWO_STEP'),
    token: z.string().min(1).optional(),
    refresh_token: z.string().min(1).optional(),
    expires_at: expiryField.optional(),
    raw: z.record(z.string(), z.unknown()).optional(),
    assertionOption: z.record(z.string(), fieldValue).optional(),
  })
  .catchall(fieldValue);

/** The TWO_STEP strategy. */
export const twoStep: AuthModeStrategy<TwoStepCredentials> = {
  authMode: 'TWO_STEP',
  connect: { kind: 'form', routes: ['/auth/two-step/:key'], body: connectBody },
  completing: 'requesting a token with the credentials',
  refusedAs: 'connection_test_failed',
  // The assertion's private key signs each renewal; it is never shown back.
  concealed: ['assertionOption'],
  complete,
  importSchema,
  fromImport,
  // Imported typed credentials are exchanged for a token before they are stored (a refused one stores nothing).
  checksImports: true,
  upkeep: (entry, credentials) => ({ kind: refreshesWith(entry, credentials) ? 'refresh' : 'mint', beforeExpiry: true }),
  renew,
  expiresAt: (credentials) => (credentials.expires_at ? new Date(credentials.expires_at) : null),
  authorize,
  secretsOf,
};

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<TwoStepCredentials>> {
  const { type: _type, assertionOption, ...submitted } = connectBody.parse(input.received);
  const typed = checkedFields(input.entry, withDefaults(input.entry, submitted), input.client);
  return obtain({ entry: input.entry, typed, assertionOption, connectionConfig: input.connectionConfig, client: input.client }, call);
}

async function renew(input: RenewInput<TwoStepCredentials>, call: CallContext): Promise<RenewResult<TwoStepCredentials>> {
  const { credentials, entry } = input;
  const request: ObtainInput = { entry, typed: typedFields(credentials), assertionOption: assertionOptionOf(credentials), connectionConfig: input.connectionConfig, client: input.client };
  let obtained: Obtained<TwoStepCredentials>;
  if (refreshesWith(entry, credentials)) {
    try {
      obtained = await obtain({ ...request, refreshToken: credentials.refresh_token }, call);
    } catch (error) {
      // A refused refresh token is not the end: the typed credentials can still obtain a new token.
      if (!(error instanceof ProviderCallError && error.kind === 'permanent')) throw error;
      obtained = await obtain(request, call);
    }
  } else {
    obtained = await obtain(request, call);
  }
  return { kind: 'renewed', credentials: obtained.credentials, expiresAt: obtained.expiresAt, connectionConfig: obtained.connectionConfig };
}

function fromImport(body: Record<string, unknown>): TwoStepCredentials {
  const parsed = body as z.output<typeof importSchema>;
  const { type: _type, token, refresh_token: refreshToken, expires_at: expiresAt, raw, assertionOption, ...typed } = parsed;
  return {
    ...(typed as Fields),
    ...(assertionOption ? { assertionOption } : {}),
    type: 'TWO_STEP',
    // Without a token the credentials are due at once: the check (or the connection workflow) obtains one.
    token: token ?? '',
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    expires_at: token ? expiresAt : new Date(0).toISOString(),
    raw: raw ?? {},
  };
}

/**
 * Puts the token on a request: the entry's `proxy.headers` filled with the credentials (`${accessToken}`
 * is the token), and `Authorization: Bearer <token>` unless those headers carry the token themselves
 * (an `${accessToken}` header, or SAP Business One's session cookie), as Nango decides.
 */
function authorize(request: OutgoingRequest, input: AuthorizeInput<TwoStepCredentials>): OutgoingRequest {
  const { entry, credentials } = input;
  const templates = entry.proxy?.headers ?? {};
  const context = requestContext(Object.values(templates), { now: input.now, endpoint: request.url.pathname });
  const declared = interpolateHeaders(templates, { entry, connectionConfig: input.connectionConfig, credentials: { ...credentials, access_token: credentials.token }, context });
  const carriesToken = Object.entries(templates).some(([name, template]) => template.includes('${accessToken}') || (name.toLowerCase() === 'cookie' && template.includes('${credentials._cookies}')));
  const headers: Record<string, string> = { ...request.headers };
  if (!carriesToken) headers['authorization'] = `Bearer ${credentials.token}`;
  for (const [name, value] of Object.entries(declared)) headers[name.toLowerCase()] = value;
  return { ...request, headers };
}

function secretsOf(credentials: TwoStepCredentials): string[] {
  const typed = [...Object.values(typedFields(credentials)), ...Object.values(assertionOptionOf(credentials) ?? {})];
  for (const [key, value] of Object.entries(credentials)) if (key.startsWith('_') && typeof value === 'string') typed.push(value);
  const tokens = [credentials.token, credentials.refresh_token].filter((value): value is string => typeof value === 'string' && value !== '');
  return [...new Set([...tokens, ...typed.filter((value) => value.length >= MIN_SECRET_LENGTH)])];
}

/** Whether the entry has a refresh request and these credentials a refresh token to send with it. */
function refreshesWith(entry: ProviderEntry, credentials: TwoStepCredentials): credentials is TwoStepCredentials & { refresh_token: string } {
  return (entry.refresh_token_params !== undefined || entry.refresh_token_headers !== undefined) && typeof credentials.refresh_token === 'string' && credentials.refresh_token !== '';
}
