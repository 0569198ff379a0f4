/**
 * The first step of a provider entry's auth mode, taken through the mode's strategy with sample values
 * and an in-memory provider: the authorization URL of a redirect strategy (`begin()`, which may call the
 * provider first: an OAuth 1.0a request token, MCP discovery), or the first request a form strategy's
 * `complete()` sends for sample credentials (a token request, a verification request), or, when it sends
 * none, the credential form alone.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ZodObject, type z } from 'zod';
import { authModeStrategy, type AuthModeStrategy, type CallContext, type IntegrationClient } from '../../../providers/auth-modes';
import type { FieldSchema, ProviderEntry } from '../../../providers/catalog-schema';
import type { DeepReadonly } from '../../../providers/deep-freeze';
import { sampleValue, sampleValues } from './fixtures';
import { carriesAny, recordingProvider, type RecordedRequest } from './recording-provider';

/** What an entry's auth mode starts with. */
export type FirstStep =
  | { readonly kind: 'authorization URL'; readonly url: string; readonly providerCalls: number }
  | { readonly kind: 'provider request'; readonly request: RecordedRequest }
  | { readonly kind: 'credential form' };

/** The first step, or why it could not be taken; `via` says what built it. */
export type Exercise = ({ readonly step: FirstStep } | { readonly reason: string }) & { readonly via: 'strategy' | 'none' };

/** Values the end user or the integration holds, as the strategies receive them. */
export const SAMPLE = {
  client: { clientId: 'sample-client-id', clientSecret: 'sample-client-secret-5c1e', scopes: ['scope-a'], custom: {} } satisfies IntegrationClient,
  redirectUri: 'https://custodian.example.com/oauth/callback',
  state: 'sample-attempt-id',
  now: new Date('2026-12-01T12:00:00Z'),
  timeoutMs: 5_000,
  // Sample credentials an end user types, by the names Nango's modes use.
  credentials: { apiKey: 'sample-api-key-7f3a', username: 'sample-user', password: 'sample-password-9d2b', client_id: 'sample-form-client-id', client_secret: 'sample-form-secret-3e8c' },
} as const;

/**
 * The integration's side: its OAuth client and sample mode-specific settings, by the names the modes read
 * (a GitHub App's id, link and key; AWS SigV4's service, region and STS access key).
 */
function sampleClient(): IntegrationClient {
  return {
    ...SAMPLE.client,
    custom: {
      app_id: '123456',
      app_link: 'https://github.com/apps/custodian-sample',
      private_key: samplePrivateKeys()[0]!,
      service: 'execute-api',
      defaultRegion: 'us-east-1',
      awsAccessKeyId: 'AKIASAMPLE7F3A4B7D',
      awsSecretAccessKey: 'sample-aws-secret-3e8c',
    },
  };
}

const MAX_FORM_ROUNDS = 8;
// RSA PKCS#8 and PKCS#1, EC PKCS#8 and SEC1 (see samplePrivateKeys).
const PRIVATE_KEY_KINDS = 4;

/** Options of {@link exerciseEntry}. */
export interface ExerciseOptions {
  /** More sample values for a connection-config field (Nango's enum values). */
  readonly extraCandidates?: (key: string) => readonly string[];
  /** Where strategies come from (the registry by default). */
  readonly strategyOf?: (authMode: string) => AuthModeStrategy | undefined;
}

/**
 * Takes the first step of `entry`'s auth mode. Strategies are called one at a time: while one runs,
 * the global fetch refuses, so a strategy that ignores `CallContext.fetch` is caught.
 */
export async function exerciseEntry(entry: ProviderEntry, options: ExerciseOptions = {}): Promise<Exercise> {
  const connectionConfig = sampleValues(entry.connection_config, options.extraCandidates);
  const strategy = (options.strategyOf ?? authModeStrategy)(entry.auth_mode);
  if (!strategy) return { reason: `no strategy for ${entry.auth_mode}`, via: 'none' };
  return { ...(await withoutGlobalFetch(() => takeFirstStep(strategy, entry, connectionConfig))), via: 'strategy' };
}

async function takeFirstStep(strategy: AuthModeStrategy, entry: ProviderEntry, connectionConfig: Record<string, string>): Promise<{ step: FirstStep } | { reason: string }> {
  if (strategy.connect.kind === 'redirect') {
    if (!strategy.begin) return { reason: 'redirect strategy without begin()' };
    const provider = recordingProvider([SAMPLE.client.clientSecret]);
    try {
      const redirect = await strategy.begin(
        { entry, client: sampleClient(), redirectUri: SAMPLE.redirectUri, state: SAMPLE.state, scopes: SAMPLE.client.scopes, connectionConfig, authorizationParams: {} },
        callContext(provider.fetch),
      );
      if (!URL.canParse(redirect.url)) return { reason: `begin() returned a URL that does not parse: ${redirect.url}` };
      return { step: { kind: 'authorization URL', url: redirect.url, providerCalls: provider.requests.length } };
    } catch (error) {
      return { reason: describeError(error) };
    }
  }
  // Each kind of private key in turn (an ES256 signer refuses an RSA key), until one gets a request out.
  let outcome: { step: FirstStep } | { reason: string } = { reason: 'no sample form' };
  for (let keyKind = 0; keyKind < PRIVATE_KEY_KINDS; keyKind++) {
    outcome = await submitForm(strategy, entry, connectionConfig, keyKind);
    if ('step' in outcome || !usesPrivateKey(strategy, entry)) return outcome;
  }
  return outcome;
}

async function submitForm(strategy: AuthModeStrategy, entry: ProviderEntry, connectionConfig: Record<string, string>, keyKind: number): Promise<{ step: FirstStep } | { reason: string }> {
  if (strategy.connect.kind !== 'form') return { reason: 'not a form strategy' };
  const form = sampleForm(strategy.connect.body, entry, keyKind);
  if (typeof form === 'string') return { reason: `form: ${form}` };
  const submitted = [...stringsIn(form), SAMPLE.client.clientSecret];
  const provider = recordingProvider(submitted);
  let failure: unknown;
  try {
    await strategy.complete({ entry, client: sampleClient(), received: form, attemptSecrets: {}, redirectUri: SAMPLE.redirectUri, connectionConfig }, callContext(provider.fetch));
  } catch (error) {
    failure = error;
  }
  const first = provider.requests[0];
  if (first) {
    // Requests that carry nothing the end user typed (a discovery document may come first) could never tell a valid credential from a wrong one.
    const credentialed = provider.requests.some((request) => carriesAny(request, submitted));
    return credentialed ? { step: { kind: 'provider request', request: first } } : { reason: 'no request carries the submitted credentials' };
  }
  return failure === undefined ? { step: { kind: 'credential form' } } : { reason: describeError(failure) };
}

function usesPrivateKey(strategy: AuthModeStrategy, entry: ProviderEntry): boolean {
  const form = strategy.connect.kind === 'form' ? sampleForm(strategy.connect.body, entry) : {};
  return typeof form !== 'string' && stringsIn(form).some((value) => value.includes('PRIVATE KEY-----'));
}

function callContext(fetchImpl: typeof fetch): CallContext {
  return { now: SAMPLE.now, timeoutMs: SAMPLE.timeoutMs, refusePrivateUserHosts: false, fetch: fetchImpl };
}

/**
 * A form `body` accepts, filled as an end user would fill the Connect UI: every credential field the entry
 * declares and every string key the body names get a sample value (optional ones too: a header template
 * may need them); then, until the body accepts the form, each missing value (nested objects included) is
 * added and each key a strict body refuses is taken out. A string says why no form passes.
 */
export function sampleForm(body: z.ZodType<Record<string, unknown>>, entry: ProviderEntry, keyKind = 0): Record<string, unknown> | string {
  // A body may also ask for a connection-config field (AWS_SIGV4's role ARN); its example fits it best.
  const sampleCredential = (key: string) => sampleField(entry.credentials?.[key] ?? entry.connection_config?.[key], key, keyKind);
  const form: Record<string, unknown> = {};
  for (const key of Object.keys(entry.credentials ?? {})) form[key] = sampleCredential(key);
  for (const [key, value] of Object.entries(body instanceof ZodObject ? (body.shape as Record<string, z.ZodType>) : {})) {
    if (key in form) continue;
    const sample = sampleCredential(key);
    // A body object fooBar takes the fields of the entry's foo_bar map, as the Connect UI renders it (TWO_STEP's assertion_option).
    const fields = (entry as Readonly<Record<string, unknown>>)[snakeCase(key)] as Readonly<Record<string, FieldSchema>> | undefined;
    if (value.safeParse(sample).success) form[key] = sample;
    else if (fields !== undefined && typeof fields === 'object') form[key] = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, sampleField(field, name, keyKind)]));
  }
  for (let round = 0; round < MAX_FORM_ROUNDS; round++) {
    const result = body.safeParse(form);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        const parent = valueAt(form, path);
        for (const key of issue.keys) if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[key];
      } else if (issue.code === 'invalid_type' && valueAt(form, path) === undefined && path.length > 0) {
        const value = issue.expected === 'object' ? {} : issue.expected === 'string' ? sampleCredential(path[path.length - 1]!) : undefined;
        if (value === undefined) return `${path.join('.')}: ${issue.message}`;
        setAt(form, path, value);
      } else {
        return `${path.join('.') || '(form)'}: ${issue.message}`;
      }
    }
  }
  return 'no sample form passes its schema';
}

/** A sample for the field `key`; a private key field gets a real key of the `keyKind`-th kind its pattern accepts: strategies sign with it. */
function sampleField(field: DeepReadonly<FieldSchema> | undefined, key: string, keyKind: number): string {
  const pattern = field?.pattern === undefined ? undefined : new RegExp(`^(?:${field.pattern})$`);
  if (/private.?key/i.test(key)) {
    const accepted = samplePrivateKeys().filter((candidate) => pattern?.test(candidate) ?? true);
    const pem = accepted[keyKind % Math.max(accepted.length, 1)];
    if (pem !== undefined) return pem;
  }
  const known = (SAMPLE.credentials as Readonly<Record<string, string>>)[key];
  // Without a pattern a typed value is any text: the example shows its shape (an ARN, a URL…) best.
  if (pattern === undefined) return known ?? (field?.example || undefined) ?? `sample-${key}-4b7d`;
  return sampleValue(field, [...(known === undefined ? [] : [known]), `sample-${key}-4b7d`]);
}

let privateKeys: string[] | undefined;

/**
 * Private keys of each kind, made once: RSA (PKCS#8, PKCS#1) and EC P-256 (PKCS#8, SEC1), each also without
 * its final line break and as JSON carries it, its line breaks written "\\n" (Google service account entries ask for that).
 */
function samplePrivateKeys(): string[] {
  if (!privateKeys) {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const pems = [rsa.export({ type: 'pkcs8', format: 'pem' }), rsa.export({ type: 'pkcs1', format: 'pem' }), ec.export({ type: 'pkcs8', format: 'pem' }), ec.export({ type: 'sec1', format: 'pem' })].map(String);
    // Also without the final line break (a pattern may end at the END line) and JSON-escaped.
    privateKeys = [...pems, ...pems.map((pem) => pem.trimEnd()), ...pems.map((pem) => pem.replace(/\n/g, '\\n'))];
  }
  return privateKeys;
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Every string value of a form, nested ones included. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return typeof value === 'object' && value !== null ? Object.values(value).flatMap(stringsIn) : [];
}

function valueAt(target: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), target);
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const parent = valueAt(target, path.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) (parent as Record<string, unknown>)[path[path.length - 1]!] = value;
}

let guarding = false;

/**
 * Runs a step with the global fetch refusing, so a strategy that ignores `CallContext.fetch` fails instead
 * of going out. One step at a time: the guard replaces a global.
 */
export async function withoutGlobalFetch<T>(run: () => Promise<T | { reason: string }>): Promise<T | { reason: string }> {
  if (guarding) throw new Error('withoutGlobalFetch: steps must be taken one at a time');
  guarding = true;
  const original = globalThis.fetch;
  let escaped = 0;
  globalThis.fetch = (() => {
    escaped += 1;
    return Promise.reject(new Error('network call outside CallContext.fetch'));
  }) as typeof fetch;
  try {
    const outcome = await run();
    return escaped > 0 ? { reason: 'called the network outside CallContext.fetch' } : outcome;
  } finally {
    globalThis.fetch = original;
    guarding = false;
  }
}

/** `code: message` of a thrown error. */
export function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : 'error'}: ${error instanceof Error ? error.message : String(error)}`;
}
