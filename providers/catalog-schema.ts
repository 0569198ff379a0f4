/**
 * Schema of one provider entry: Nango's provider format, restricted to the keys Custodian supports
 * (API.md §3). Unknown keys are errors; templates are checked for syntax and for where their
 * placeholders sit, so a bad entry fails at load rather than at the first connection.
 */
import { z } from 'zod';
import { CustodianError } from '../src/errors';
import { joinUrlTemplate, parseTemplate, placeholdersOf, urlPositions, type PlaceholderSource, type UrlPosition } from './template';
import type { DeepReadonly } from './deep-freeze';
import { urlProblem } from './url-rules';
import { MAX_PROVIDER_TIMEOUT_MS } from './calls/provider-timeout';

/** Auth modes Custodian implements. */
export const AUTH_MODES = ['OAUTH2', 'OAUTH2_CC', 'OAUTH1', 'API_KEY', 'BASIC', 'NONE'] as const;

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
  scalarText.pipe(templateString(['connectionConfig', 'credentials'])),
);

function paramMap(sources: readonly PlaceholderSource[]) {
  return z.record(z.string().min(1), scalarText.pipe(templateString(sources)));
}

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

function entryShape<Q extends Quality>(quality: Q) {
  return z.strictObject({
    display_name: z.string().min(1),
    categories: quality.categories,
    docs: quality.docs,
    auth_mode: z.enum(AUTH_MODES),
    authorization_url: urlTemplate.optional(),
    token_url: urlTemplate.optional(),
    refresh_url: urlTemplate.optional(),
    request_url: urlTemplate.optional(),
    // The authorization URL is a browser redirect: only connection config may flow into it, never a credential.
    authorization_params: paramMap(['connectionConfig']).optional(),
    token_params: paramMap(['connectionConfig', 'credentials']).optional(),
    refresh_params: paramMap(['connectionConfig', 'credentials']).optional(),
    scope_separator: z.string().min(1).optional(),
    default_scopes: z.array(z.string().min(1)).optional(),
    authorization_method: z.enum(['body', 'header']).optional(),
    body_format: z.enum(['form', 'json']).optional(),
    token_request_auth_method: z.enum(['basic']).optional(),
    disable_pkce: z.boolean().optional(),
    token_expiration_buffer: z.number().int().nonnegative().optional(),
    // Ours, not Nango's: seconds one call to this provider may take, overriding PROVIDER_TIMEOUT (capped, see provider-timeout.ts).
    request_timeout: z.number().int().min(1).max(MAX_PROVIDER_TIMEOUT_MS / 1000).optional(),
    expires_in_unit: z.enum(['seconds', 'milliseconds']).optional(),
    token_response_metadata: z.array(z.string().min(1)).optional(),
    redirect_uri_metadata: z.array(z.string().min(1)).optional(),
    signature_method: z.enum(['HMAC-SHA1', 'RSA-SHA1', 'PLAINTEXT']).optional(),
    connection_config: fieldMap(quality).optional(),
    credentials: fieldMap(quality).optional(),
    proxy: proxySchema.optional(),
  });
}

type EntryShape = z.output<ReturnType<typeof entryShape<typeof FILE_QUALITY>>>;

/** URLs each auth mode cannot work without. */
const REQUIRED_URLS: Readonly<Record<AuthMode, readonly ('authorization_url' | 'token_url' | 'request_url')[]>> = {
  OAUTH2: ['authorization_url', 'token_url'],
  OAUTH2_CC: ['token_url'],
  OAUTH1: ['request_url', 'authorization_url', 'token_url'],
  API_KEY: [],
  BASIC: [],
  NONE: [],
};

function checkCrossFields(entry: EntryShape, ctx: z.RefinementCtx): void {
  for (const key of REQUIRED_URLS[entry.auth_mode]) {
    if (entry[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required when auth_mode is ${entry.auth_mode}` });
  }
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

/** Strict schema for Custodian's own catalog files (`providers/catalog/*.yaml`): docs, categories and field descriptions required. */
export const providerEntrySchema = entryShape(CATALOG_QUALITY).superRefine(checkCrossFields);

/**
 * Schema for entries read from a Nango-format `providers.yaml` (Nango's own file or one a user writes):
 * same keys, but only what the auth mode needs is required. The lenient loader drops unknown keys and
 * fills `display_name` and field titles and types before applying it.
 */
export const nangoEntrySchema = entryShape(FILE_QUALITY).superRefine(checkCrossFields);

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

function templateString(sources: readonly PlaceholderSource[]) {
  return z.string().superRefine((value, ctx) => {
    const problem = templateProblem(value, sources);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function templateProblem(value: string, sources: readonly PlaceholderSource[]): string | undefined {
  return catchTemplateError(() => {
    const foreign = placeholdersOf(parseTemplate(value)).find((placeholder) => !sources.includes(placeholder.source));
    return foreign ? `\${${foreign.expression}} is not allowed here (only ${sources.join(', ')})` : undefined;
  });
}

function urlTemplateProblem(value: string): string | undefined {
  return catchTemplateError(() => {
    const template = parseTemplate(value);
    const foreign = placeholdersOf(template).find((placeholder) => placeholder.source !== 'connectionConfig');
    // Credentials go into headers only: URLs end up in logs, browser history and Referer headers.
    if (foreign) return `\${${foreign.expression}} is not allowed in a URL (only connectionConfig)`;
    for (const parts of template.alternatives) {
      const positions = urlPositions(parts);
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
