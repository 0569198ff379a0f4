/**
 * Schema of one provider entry: Nango's provider format, restricted to the keys Custodian supports
 * (API.md §3). Unknown keys are errors; templates are checked for syntax and for where their
 * placeholders sit, so a bad entry fails at load rather than at the first connection.
 */
import { z } from 'zod';
import { CustodianError } from '../src/errors';
import { joinUrlTemplate, parseTemplate, placeholdersOf, placeholdersOfParts, urlPositions, type PlaceholderSource, type TemplateOptions, type UrlPosition } from './template';
import type { DeepReadonly } from './deep-freeze';
import { urlProblem } from './url-rules';
import { MAX_PROVIDER_TIMEOUT_MS } from './calls/provider-timeout';

/** Auth modes Custodian implements. */
export const AUTH_MODES = ['OAUTH2', 'OAUTH2_CC', 'OAUTH1', 'API_KEY', 'BASIC', 'NONE', 'MCP_OAUTH2', 'MCP_OAUTH2_GENERIC', 'APP', 'CUSTOM', 'TWO_STEP', 'JWT', 'SIGNATURE', 'BILL', 'TBA', 'INSTALL_PLUGIN', 'AWS_SIGV4'] as const;

/** One of {@link AUTH_MODES}. */
export type AuthMode = (typeof AUTH_MODES)[number];

/** Provider names, also the catalog file names. */
export const PROVIDER_NAME = /^[a-zA-Z0-9_-]+$/;

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const FIELD_KEY = /^[A-Za-z0-9_.-]+$/;
// Stand-ins used to check that a URL template renders to a valid URL whatever the values are.
const SAMPLE_VALUES: Readonly<Record<UrlPosition, string>> = {
  base: 'https://base.example/path',
  host: 'host',
  port: '8443',
  path: 'value',
  query: 'value',
  fragment: 'value',
};

// YAML reads `true`, `1` and `2024-01-01`-like scalars as non-strings; parameters are strings on the wire.
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

// A documentation link is only shown, never requested, so plain http is tolerated there.
const docsUrl = z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL');

const urlTemplate = z.string().superRefine((value, ctx) => {
  const problem = urlTemplateProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const endpointTemplate = z.string().superRefine((value, ctx) => {
  if (value.includes('://') || value.includes('||')) {
    ctx.addIssue({ code: 'custom', message: 'must be a path (no scheme, host or "||")' });
    return;
  }
  const problem = templateProblem(value, ['connectionConfig']);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const headerMap = z.record(
  z.string().regex(HEADER_NAME, 'must be an HTTP header name'),
  scalarText.pipe(templateString(['connectionConfig', 'credentials', 'context'])),
);

function paramMap(sources: readonly PlaceholderSource[]) {
  return z.record(z.string().min(1), scalarText.pipe(templateString(sources)));
}

// What a TWO_STEP token request may draw on: earlier steps, per-request values, assertion options.
const TOKEN_REQUEST_SOURCES: readonly PlaceholderSource[] = ['connectionConfig', 'credentials', 'context', 'step', 'assertionOption'];

/** A token request parameter: a template, or (JSON and XML bodies) an object of them. */
export type TokenParamValue = string | { readonly [key: string]: TokenParamValue };

const tokenParamValue: z.ZodType<TokenParamValue> = z.lazy(() =>
  z.union([scalarText.pipe(templateString(TOKEN_REQUEST_SOURCES)), z.record(z.string().min(1), tokenParamValue)]),
);
const tokenParamMap = z.record(z.string().min(1), tokenParamValue);

const tokenHeaderMap = z.record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), scalarText.pipe(templateString(TOKEN_REQUEST_SOURCES)));

// A TWO_STEP token URL may carry credentials in its query (JobDiva, Leapsome) and an earlier step's answer as its base.
const tokenRequestUrl = z.string().superRefine((value, ctx) => {
  const problem = urlTemplateProblem(value, TOKEN_URL_SOURCES);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const TOKEN_URL_SOURCES: Readonly<Partial<Record<PlaceholderSource, readonly UrlPosition[]>>> = {
  connectionConfig: ['base', 'host', 'port', 'path', 'query', 'fragment'],
  step: ['base'],
  credentials: ['query'],
  context: ['query'],
};

const URL_SOURCES: Readonly<Partial<Record<PlaceholderSource, readonly UrlPosition[]>>> = {
  connectionConfig: ['base', 'host', 'port', 'path', 'query', 'fragment'],
};

const assertionTemplates = z.record(z.string().min(1), scalarText.pipe(templateString(TOKEN_REQUEST_SOURCES)));


/** A client or grant assertion built for each token request (Nango's `assertion`): a signed JWT or SAML 2.0 assertion. */
const assertionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('jwt'),
    key: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)),
    lifetimeInSeconds: z.coerce.number().int().positive().optional(),
    singleUse: z.boolean().optional(),
    header: assertionTemplates.optional(),
    payload: assertionTemplates.optional(),
  }),
  z.strictObject({
    type: z.literal('saml'),
    key: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
    issuer: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)),
    lifetimeInSeconds: z.coerce.number().int().positive().optional(),
    audiences: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
    recipient: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
    nameIdentifier: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
    nameIdentifierFormat: z.string().optional(),
    sessionIndex: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
    authnContextClassRef: z.string().optional(),
    attributes: assertionTemplates.optional(),
  }),
]);

/** Where the token, its expiry and a refresh token sit in the (last) token response: dotted paths, `''` for the whole body. */
const tokenResponseSchema = z.strictObject({
  token: z.string(),
  token_expiration: z.string().min(1).optional(),
  // Nango's default when an expiration path is given without a strategy.
  token_expiration_strategy: z.enum(['expireIn', 'expireAt']).optional(),
  refresh_token: z.string().min(1).optional(),
});

const stepSchema = z.strictObject({
  token_url: tokenRequestUrl,
  token_params: tokenParamMap.optional(),
  token_headers: tokenHeaderMap.optional(),
  token_request_method: z.enum(['GET', 'POST']).optional(),
  body_format: z.enum(['form', 'json', 'xml']).optional(),
});

/**
 * What Custodian's own catalog requires beyond what an auth mode needs: a quality rule for the data we
 * ship (every provider has documentation, categories, and fields that explain themselves). Entries a
 * user writes in `PROVIDERS_FILE` need only what their auth mode needs (README, "Decisions").
 */
interface Quality {
  docs: z.ZodType<string | undefined>;
  categories: z.ZodType<string[] | undefined>;
  description: z.ZodType<string | undefined>;
}

const CATALOG_QUALITY = {
  docs: docsUrl,
  categories: z.array(z.string().min(1)).min(1),
  description: z.string(),
} satisfies Quality;

const FILE_QUALITY = {
  docs: docsUrl.optional(),
  categories: z.array(z.string().min(1)).optional(),
  description: z.string().optional(),
} satisfies Quality;

/** Schema of a `connection_config` or `credentials` field (what the Connect UI renders, and the value's pattern). */
function fieldShape<Q extends Quality>(quality: Q) {
  return z.strictObject({
    type: z.literal('string'),
    title: z.string(),
    description: quality.description,
    example: scalarText.optional(),
    pattern: z
      .string()
      .refine(compiles, 'must be a valid regular expression')
      .optional(),
    optional: z.boolean().optional(),
    format: z.enum(['hostname', 'uri', 'uuid', 'email']).optional(),
    prefix: z.string().optional(),
    suffix: z.string().optional(),
    order: z.number().int().optional(),
    default_value: scalarText.optional(),
    hidden: z.boolean().optional(),
    secret: z.boolean().optional(),
    // Ours, not Nango's: a value that spans lines (a PEM private key, a certificate); the Connect UI shows a text area.
    multiline: z.boolean().optional(),
    automated: z.boolean().optional(),
  });
}

/** A `connection_config` / `credentials` field as validated. */
export type FieldSchema = z.output<ReturnType<typeof fieldShape<typeof FILE_QUALITY>>>;

function fieldMap<Q extends Quality>(quality: Q) {
  return z.record(z.string().regex(FIELD_KEY, 'must be a field name ([A-Za-z0-9_.-])'), fieldShape(quality));
}

/** A rate: `<calls>/<sec|min|hour>`, as calls per second. */
const rateText = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*\/\s*(s|sec|second|m|min|minute|h|hour)\s*$/, 'must read like 100/min, 5/sec or 1000/hour')
  .transform((text) => {
    const [count, unit] = text.split('/').map((part) => part.trim()) as [string, string];
    const seconds = unit.startsWith('s') ? 1 : unit.startsWith('m') ? 60 : 3600;
    return { perSecond: Number(count) / seconds, text: text.trim() };
  })
  .refine((rate) => rate.perSecond > 0, 'must allow at least one call');

// A header name, or several (Nango writes either).
const headerNames = z.union([z.string().regex(HEADER_NAME), z.array(z.string().regex(HEADER_NAME)).min(1)]).transform((names) => (Array.isArray(names) ? names : [names]));

const proxySchema = z.strictObject({
  base_url: urlTemplate.optional(),
  headers: headerMap.optional(),
  // Query parameters that carry credentials (`?api_key=${apiKey}`).
  query: paramMap(['connectionConfig', 'credentials']).optional(),
  // The provider's own rate-limit headers: `after` holds seconds to wait, `at` the moment (epoch seconds or a date) it resets.
  retry: z
    .object({
      after: headerNames.optional(),
      at: headerNames.optional(),
      // Statuses the provider uses for "slow down" besides 429: `503`, or a class such as `5xx`.
      error_code: z.array(z.union([z.number().int().min(100).max(599).transform(String), z.string().regex(/^[1-5](\d\d|xx)$/)])).optional(),
    })
    .optional(),
  // Answers are decompressed before they are returned (like the `Decompress: true` header).
  decompress: z.boolean().optional(),
  // Credentials are sent again when the provider redirects to another host.
  forward_headers_on_redirect: z.boolean().optional(),
  // Ours, not Nango's: the proxy's own budget, kept below the provider's limit (`100/min`, `5/sec`…).
  rate_limit: z
    .strictObject({
      per_connection: rateText.optional(),
      per_integration: rateText.optional(),
      // Calls allowed at once after a quiet spell (the bucket's size); the rate itself by default.
      burst: z.number().int().min(1).max(100_000).optional(),
    })
    .optional(),
  verification: z
    .strictObject({
      // Nango sends GET when an entry names no method.
      method: z.enum(HTTP_METHODS).default('GET'),
      endpoints: z.array(endpointTemplate).min(1),
      headers: headerMap.optional(),
    })
    .optional(),
});

// JWT signature algorithms (RFC 7518 §3.1) by the key family a `signature.protocol` names.
const JWT_ALGORITHMS = {
  HMAC: ['HS256', 'HS384', 'HS512'],
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
} as const;

/** The JWT algorithms Custodian signs with. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[keyof typeof JWT_ALGORITHMS][number];

/** `signature`: how a locally made credential is signed (JWT: the key family; SIGNATURE: the protocol). */
const signatureSchema = z.strictObject({
  protocol: z.enum(['HMAC', 'RSA', 'EC', 'WSSE']),
  // HMAC only: how the signing key's text becomes the secret's bytes (Nango's default: hex, as Ghost's keys are).
  hmac_secret_encoding: z.enum(['hex', 'utf8']).optional(),
});

/**
 * `token`: a credential signed here and how long it lives (Nango's `signature` + `token`): a TWO_STEP
 * grant assertion sent as `${token}` (Google service accounts, Salesforce JWT), a JWT entry's token, or
 * only the lifetime of a SIGNATURE entry's WSSE token. TWO_STEP templates may read the token request's
 * sources; `||` in a JWT's templates is text (see TemplateOptions.literalOr).
 */
const signedTokenSchema = z.strictObject({
  signing_key: z.string().pipe(templateString(TOKEN_REQUEST_SOURCES)).optional(),
  expires_in_ms: z.number().int().positive(),
  header: assertionTemplates.optional(),
  // App Store Connect wants an array of scopes; each item may expand to several (comma-separated values).
  payload: z.record(z.string().min(1), z.union([scalarText.pipe(templateString(TOKEN_REQUEST_SOURCES)), z.array(scalarText.pipe(templateString(TOKEN_REQUEST_SOURCES)))])).optional(),
});

function entryShape<Q extends Quality>(quality: Q) {
  return z.strictObject({
    display_name: z.string().min(1),
    categories: quality.categories,
    docs: quality.docs,
    auth_mode: z.enum(AUTH_MODES),
    authorization_url: urlTemplate.optional(),
    // CUSTOM (a GitHub App with user authorization) has two token endpoints, which Nango writes as a map of
    // mode → URL; it is read into `token_url` (the OAUTH2 one) and `app_token_url` (see splitTokenUrls).
    // Checked like every URL template, except that TWO_STEP entries may put more in it (see checkCrossFields).
    token_url: z.union([tokenRequestUrl, z.strictObject({ OAUTH2: urlTemplate, APP: urlTemplate })]).optional(),
    // Ours, not Nango's: the APP token endpoint of a CUSTOM entry (the installation access token).
    app_token_url: urlTemplate.optional(),
    refresh_url: urlTemplate.optional(),
    request_url: urlTemplate.optional(),
    // The authorization URL is a browser redirect: only connection config may flow into it, never a credential.
    authorization_params: paramMap(['connectionConfig']).optional(),
    token_params: tokenParamMap.optional(),
    refresh_params: paramMap(['connectionConfig', 'credentials']).optional(),
    scope_separator: z.string().min(1).optional(),
    default_scopes: z.array(z.string().min(1)).optional(),
    authorization_method: z.enum(['body', 'header']).optional(),
    // `query`: the grant's parameters in the token URL's query, no body (Kno Commerce, Transporeon); `xml`: TWO_STEP only (Sage Intacct); see checkCrossFields.
    body_format: z.enum(['form', 'json', 'query', 'xml']).optional(),
    token_request_auth_method: z.enum(['basic']).optional(),
    disable_pkce: z.boolean().optional(),
    token_expiration_buffer: z.number().int().nonnegative().optional(),
    // Ours, not Nango's: seconds one call to this provider may take, overriding PROVIDER_TIMEOUT (capped, see provider-timeout.ts).
    request_timeout: z.number().int().min(1).max(MAX_PROVIDER_TIMEOUT_MS / 1000).optional(),
    expires_in_unit: z.enum(['seconds', 'milliseconds']).optional(),
    token_response_metadata: z.array(z.string().min(1)).optional(),
    redirect_uri_metadata: z.array(z.string().min(1)).optional(),
    signature_method: z.enum(['HMAC-SHA1', 'RSA-SHA1', 'PLAINTEXT']).optional(),
    // MCP_OAUTH2: how the client is identified to the authorization server (Nango's key; MCP 2025-11-25
    // "Client Registration Approaches"): RFC 7591 registration, the integration's own client, or our
    // Client ID Metadata Document URL as client_id.
    client_registration: z.enum(['dynamic', 'static', 'cimd']).optional(),
    registration_url: urlTemplate.optional(),
    // RFC 7591 client metadata sent with the registration (`grant_types`, `response_types`…).
    registration_params: z.record(z.string().min(1), z.union([scalarText, z.array(scalarText)])).optional(),
    connection_config: fieldMap(quality).optional(),
    credentials: fieldMap(quality).optional(),
    proxy: proxySchema.optional(),
    // TWO_STEP: a templated token request (or a chain of them) whose answer holds the token.
    token_headers: tokenHeaderMap.optional(),
    token_request_method: z.enum(['GET', 'POST']).optional(),
    token_response: tokenResponseSchema.optional(),
    token_expires_in_ms: z.number().int().nonnegative().optional(),
    token_response_headers: z.array(z.string().regex(HEADER_NAME, 'must be an HTTP header name')).optional(),
    refresh_token_params: tokenParamMap.optional(),
    refresh_token_headers: tokenHeaderMap.optional(),
    additional_steps: z.array(stepSchema).min(1).optional(),
    // A credential signed here: TWO_STEP's grant assertion, JWT's token, SIGNATURE's WSSE token.
    signature: signatureSchema.optional(),
    token: signedTokenSchema.optional(),
    assertion: assertionSchema.optional(),
    // Fields the end user gives only to build the assertion (a private key): used, never stored.
    assertion_option: fieldMap(quality).optional(),
    // Fields the integration may preset for all its connections (kept encrypted on the integration).
    integration_config: fieldMap(quality).optional(),
    // INSTALL_PLUGIN: the credentials type the installed plugin's connection holds (Nango's only one: BASIC).
    auth_type: z.enum(['BASIC']).optional(),
  });
}

type EntryShape = z.output<ReturnType<typeof entryShape<typeof FILE_QUALITY>>>;

/** An entry as loaded: one token URL per key (a CUSTOM entry's map split into `token_url` and `app_token_url`). */
type LoadedEntry = Omit<EntryShape, 'token_url'> & { token_url?: string };

/** URLs each auth mode cannot work without. */
const REQUIRED_URLS: Readonly<Record<AuthMode, readonly ('authorization_url' | 'token_url' | 'request_url')[]>> = {
  OAUTH2: ['authorization_url', 'token_url'],
  OAUTH2_CC: ['token_url'],
  OAUTH1: ['request_url', 'authorization_url', 'token_url'],
  API_KEY: [],
  BASIC: [],
  NONE: [],
  MCP_OAUTH2: ['authorization_url', 'token_url'],
  // Everything is discovered from the MCP server the end user names (connection_config.mcp_server_url).
  MCP_OAUTH2_GENERIC: [],
  APP: ['authorization_url', 'token_url'],
  CUSTOM: ['authorization_url', 'token_url'],
  TWO_STEP: ['token_url'],
  JWT: [],
  SIGNATURE: [],
  // Bill's login endpoint, which opens a session.
  BILL: ['token_url'],
  TBA: [],
  INSTALL_PLUGIN: [],
  AWS_SIGV4: [],
};

/** What a mode needs beyond URLs: the keys that say how its credential is made. */
const MODE_CHECKS: Partial<Record<AuthMode, (entry: EntryShape, ctx: z.RefinementCtx) => void>> = {
  JWT: (entry, ctx) => {
    const protocol = entry.signature?.protocol;
    if (protocol === undefined) ctx.addIssue({ code: 'custom', path: ['signature'], message: 'is required when auth_mode is JWT' });
    else if (protocol === 'WSSE') ctx.addIssue({ code: 'custom', path: ['signature', 'protocol'], message: 'must be HMAC, RSA or EC when auth_mode is JWT' });
    if (entry.signature?.hmac_secret_encoding !== undefined && protocol !== 'HMAC') {
      ctx.addIssue({ code: 'custom', path: ['signature', 'hmac_secret_encoding'], message: 'applies to the HMAC protocol only' });
    }
    if (entry.token === undefined) return ctx.addIssue({ code: 'custom', path: ['token'], message: 'is required when auth_mode is JWT' });
    if (entry.token.signing_key === undefined) ctx.addIssue({ code: 'custom', path: ['token', 'signing_key'], message: 'is required when auth_mode is JWT' });
    const alg = entry.token.header?.alg;
    if (alg === undefined) return ctx.addIssue({ code: 'custom', path: ['token', 'header', 'alg'], message: 'is required when auth_mode is JWT' });
    if (protocol !== undefined && protocol !== 'WSSE' && !(JWT_ALGORITHMS[protocol] as readonly string[]).includes(alg)) {
      ctx.addIssue({ code: 'custom', path: ['token', 'header', 'alg'], message: `must be one of ${JWT_ALGORITHMS[protocol].join(', ')} for the ${protocol} protocol` });
    }
  },
  SIGNATURE: (entry, ctx) => {
    if (entry.signature?.protocol !== 'WSSE') ctx.addIssue({ code: 'custom', path: ['signature', 'protocol'], message: 'must be WSSE when auth_mode is SIGNATURE' });
    if (entry.token === undefined) ctx.addIssue({ code: 'custom', path: ['token', 'expires_in_ms'], message: 'is required when auth_mode is SIGNATURE' });
  },
  // TWO_STEP signs its grant assertions with RSA or EC keys only (providers/auth-modes/jwt-assertion.ts).
  TWO_STEP: (entry, ctx) => {
    if (entry.signature !== undefined && entry.signature.protocol !== 'RSA') ctx.addIssue({ code: 'custom', path: ['signature', 'protocol'], message: 'must be RSA when auth_mode is TWO_STEP' });
  },
  INSTALL_PLUGIN: (entry, ctx) => {
    if (entry.auth_type === undefined) ctx.addIssue({ code: 'custom', path: ['auth_type'], message: 'is required when auth_mode is INSTALL_PLUGIN' });
  },
};

/** The connection-config field MCP_OAUTH2_GENERIC reads the MCP server's URL from. */
export const MCP_SERVER_URL_FIELD = 'mcp_server_url';

/** Modes whose token request is a catalog template (its URL, parameters and headers may draw on more than connection config). */
const TEMPLATED_TOKEN_REQUEST: ReadonlySet<AuthMode> = new Set(['TWO_STEP']);

function checkCrossFields(entry: EntryShape, ctx: z.RefinementCtx): void {
  for (const key of REQUIRED_URLS[entry.auth_mode]) {
    if (entry[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required when auth_mode is ${entry.auth_mode}` });
  }
  if (!TEMPLATED_TOKEN_REQUEST.has(entry.auth_mode)) checkPlainTokenRequest(entry, ctx);
  if (entry.auth_mode === 'TWO_STEP' && entry.token_response === undefined) {
    ctx.addIssue({ code: 'custom', path: ['token_response'], message: 'is required when auth_mode is TWO_STEP' });
  }
  if (entry.signature !== undefined && entry.token === undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'is required when signature is set' });
  if (entry.body_format === 'query' && (entry.auth_mode !== 'OAUTH2_CC' || entry.token_request_auth_method !== 'basic')) {
    // A URL ends up in logs: only a client credentials grant authenticated in a header has nothing secret to put there.
    ctx.addIssue({ code: 'custom', path: ['body_format'], message: 'query is only for OAUTH2_CC with token_request_auth_method: basic (no secret may go into a URL)' });
  }
  if (entry.body_format === 'xml' && !TEMPLATED_TOKEN_REQUEST.has(entry.auth_mode)) {
    ctx.addIssue({ code: 'custom', path: ['body_format'], message: 'xml is only for templated token requests (TWO_STEP)' });
  }
  checkMcpFields(entry, ctx);
  checkTokenUrls(entry, ctx);
  MODE_CHECKS[entry.auth_mode]?.(entry, ctx);
  const verification = entry.proxy?.verification;
  if (!verification) return;
  const baseUrl = entry.proxy?.base_url;
  if (baseUrl === undefined) {
    ctx.addIssue({ code: 'custom', path: ['proxy', 'base_url'], message: 'is required when proxy.verification is set' });
    return;
  }
  verification.endpoints.forEach((endpoint, index) => {
    const problem = urlTemplateProblem(joinUrlTemplate(baseUrl, endpoint));
    if (problem) ctx.addIssue({ code: 'custom', path: ['proxy', 'verification', 'endpoints', index], message: `joined to proxy.base_url: ${problem}` });
  });
}

/**
 * Outside templated token requests: a token URL of connection config only, flat parameters of connection
 * config and credentials, and headers without per-request values.
 */
function checkPlainTokenRequest(entry: EntryShape, ctx: z.RefinementCtx): void {
  // The map form (CUSTOM) is checked by the URL templates it holds, and by checkTokenUrls.
  if (typeof entry.token_url === 'string') {
    const problem = urlTemplateProblem(entry.token_url, URL_SOURCES);
    if (problem) ctx.addIssue({ code: 'custom', path: ['token_url'], message: problem });
  }
  for (const [name, value] of Object.entries(entry.token_params ?? {})) {
    const problem = typeof value === 'string' ? templateProblem(value, ['connectionConfig', 'credentials']) : 'must be a string';
    if (problem) ctx.addIssue({ code: 'custom', path: ['token_params', name], message: problem });
  }
  // Per-request values (`${now}`, `${random}`…) are computed by the TWO_STEP strategy only.
  const headerGroups: [readonly PropertyKey[], Readonly<Record<string, string>> | undefined][] = [
    [['proxy', 'headers'], entry.proxy?.headers],
    [['proxy', 'verification', 'headers'], entry.proxy?.verification?.headers],
  ];
  for (const [path, headers] of headerGroups) {
    for (const [name, template] of Object.entries(headers ?? {})) {
      const problem = templateProblem(template, ['connectionConfig', 'credentials']);
      if (problem) ctx.addIssue({ code: 'custom', path: [...path, name], message: `${problem}, in ${entry.auth_mode} entries` });
    }
  }
}

function checkMcpFields(entry: EntryShape, ctx: z.RefinementCtx): void {
  const mode = entry.auth_mode;
  if (mode === 'MCP_OAUTH2') {
    if (entry.client_registration === undefined) ctx.addIssue({ code: 'custom', path: ['client_registration'], message: 'is required when auth_mode is MCP_OAUTH2' });
    if (entry.client_registration === 'dynamic' && entry.registration_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['registration_url'], message: 'is required when client_registration is dynamic' });
    }
  } else {
    for (const key of ['client_registration', 'registration_url', 'registration_params'] as const) {
      if (entry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is only used when auth_mode is MCP_OAUTH2' });
    }
  }
  if (mode === 'MCP_OAUTH2_GENERIC' && entry.connection_config?.[MCP_SERVER_URL_FIELD] === undefined) {
    ctx.addIssue({ code: 'custom', path: ['connection_config', MCP_SERVER_URL_FIELD], message: 'is required when auth_mode is MCP_OAUTH2_GENERIC' });
  }
}

/** Only CUSTOM has two token endpoints: the map form (or `app_token_url`) there, one URL everywhere else. */
function checkTokenUrls(entry: EntryShape, ctx: z.RefinementCtx): void {
  const mapped = typeof entry.token_url === 'object';
  if (entry.auth_mode !== 'CUSTOM') {
    if (mapped) ctx.addIssue({ code: 'custom', path: ['token_url'], message: `must be a URL when auth_mode is ${entry.auth_mode}` });
    if (entry.app_token_url !== undefined) ctx.addIssue({ code: 'custom', path: ['app_token_url'], message: 'is only for auth_mode CUSTOM' });
    return;
  }
  if (mapped && entry.app_token_url !== undefined) ctx.addIssue({ code: 'custom', path: ['app_token_url'], message: 'is already given by token_url.APP' });
  if (!mapped && entry.token_url !== undefined && entry.app_token_url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['token_url'], message: 'must map OAUTH2 and APP to their URLs when auth_mode is CUSTOM (or give app_token_url)' });
  }
}

/** The map form of `token_url` as two keys, so every reader of `token_url` gets one URL. */
function splitTokenUrls(entry: EntryShape): LoadedEntry {
  const tokenUrl = entry.token_url;
  if (typeof tokenUrl !== 'object') return entry as LoadedEntry;
  return { ...entry, token_url: tokenUrl.OAUTH2, app_token_url: tokenUrl.APP };
}

/** Strict schema for Custodian's own catalog files (`providers/catalog/*.yaml`): docs, categories and field descriptions required. */
export const providerEntrySchema = entryShape(CATALOG_QUALITY).superRefine(checkCrossFields).transform(splitTokenUrls);

/**
 * Schema for entries read from a Nango-format `providers.yaml` (Nango's own file or one a user writes):
 * same keys, but only what the auth mode needs is required. The lenient loader drops unknown keys and
 * fills `display_name` and field titles and types before applying it.
 */
export const nangoEntrySchema = entryShape(FILE_QUALITY).superRefine(checkCrossFields).transform(splitTokenUrls);

/** A validated provider entry (frozen once loaded). */
export type ProviderEntry = DeepReadonly<z.output<typeof nangoEntrySchema>>;

/** The field a validation issue is about (an unknown key names the key itself) and what is wrong with it. */
export function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  if (issue.code === 'unrecognized_keys') {
    return { field: fieldPath([...issue.path, issue.keys[0] ?? '']), message: 'unknown key (not a supported provider key)' };
  }
  return { field: fieldPath(issue.path) || '(entry)', message: issue.message };
}

/** Formats a zod issue path as a dotted field name: `proxy.verification.endpoints[0]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

function templateString(sources: readonly PlaceholderSource[], options: TemplateOptions = {}) {
  return z.string().superRefine((value, ctx) => {
    const problem = templateProblem(value, sources, options);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function templateProblem(value: string, sources: readonly PlaceholderSource[], options: TemplateOptions = {}): string | undefined {
  return catchTemplateError(() => {
    const foreign = placeholdersOf(parseTemplate(value, options)).find((placeholder) => !sources.includes(placeholder.source));
    return foreign ? `\${${foreign.expression}} is not allowed here (only ${sources.join(', ')})` : undefined;
  });
}

function urlTemplateProblem(value: string, sources: Readonly<Partial<Record<PlaceholderSource, readonly UrlPosition[]>>> = URL_SOURCES): string | undefined {
  return catchTemplateError(() => {
    const template = parseTemplate(value);
    const allowed = Object.keys(sources);
    const foreign = placeholdersOf(template).find((placeholder) => !allowed.includes(placeholder.source));
    // Credentials go into headers only: URLs end up in logs, browser history and Referer headers.
    if (foreign) return `\${${foreign.expression}} is not allowed in a URL (only ${allowed.join(', ')})`;
    for (const parts of template.alternatives) {
      const positions = urlPositions(parts);
      const placeholders = placeholdersOfParts(parts);
      const misplaced = placeholders.findIndex((placeholder, index) => !(sources[placeholder.source] ?? []).includes(positions[index] ?? 'path'));
      if (misplaced !== -1) return `\${${placeholders[misplaced]?.expression ?? ''}} may not stand in the ${positions[misplaced] ?? 'path'} of a URL`;
      let index = 0;
      const sample = parts.map((part) => ('literal' in part ? part.literal : SAMPLE_VALUES[positions[index++] ?? 'path'])).join('');
      const problem = urlProblem(sample);
      if (problem) return problem;
    }
    return undefined;
  });
}

function catchTemplateError(check: () => string | undefined): string | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof CustodianError && error.code === 'invalid_template') return error.message;
    throw error;
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
