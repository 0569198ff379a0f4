/**
 * The first step of a provider entry's auth mode, taken through the mode's strategy with sample values
 * and an in-memory provider: the authorization URL of a redirect strategy (`begin()`, which may call the
 * provider first: an OAuth 1.0a request token, MCP discovery), or the first request a form strategy's
 * `complete()` sends for sample credentials (a token request, a verification request), or, when it sends
 * none, the credential form alone.
 */
import type { z } from 'zod';
import { authModeStrategy, type AuthModeStrategy, type CallContext } from '../../../providers/auth-modes';
import type { ProviderEntry } from '../../../providers/catalog-schema';
import { sampleValue, sampleValues } from './fixtures';
import { legacyFirstStep } from './legacy-first-step';
import { carriesAny, recordingProvider } from './recording-provider';
import { describeError, SAMPLE, withoutGlobalFetch, type Exercise, type FirstStep } from './step-samples';

export type { Exercise, FirstStep } from './step-samples';

const MAX_FORM_ROUNDS = 8;

/** Options of {@link exerciseEntry}. */
export interface ExerciseOptions {
  /** More sample values for a connection-config field (Nango's enum values). */
  readonly extraCandidates?: (key: string) => readonly string[];
  /** Where strategies come from (the registry by default). */
  readonly strategyOf?: (authMode: string) => AuthModeStrategy | undefined;
  /** Transitional: whether a mode without a strategy may use its old builders (default true). */
  readonly legacy?: boolean;
}

/**
 * Takes the first step of `entry`'s auth mode. Strategies are called one at a time: while one runs,
 * the global fetch refuses, so a strategy that ignores `CallContext.fetch` is caught.
 */
export async function exerciseEntry(entry: ProviderEntry, options: ExerciseOptions = {}): Promise<Exercise> {
  const connectionConfig = sampleValues(entry.connection_config, options.extraCandidates);
  const strategy = (options.strategyOf ?? authModeStrategy)(entry.auth_mode);
  if (!strategy) {
    // Transitional: the first five modes keep their old builders until they become strategies (the "Strategies:" commit).
    const legacy = options.legacy === false ? undefined : await legacyFirstStep(entry, connectionConfig);
    return legacy ?? { reason: `no strategy for ${entry.auth_mode}`, via: 'none' };
  }
  return { ...(await withoutGlobalFetch(() => takeFirstStep(strategy, entry, connectionConfig))), via: 'strategy' };
}

async function takeFirstStep(strategy: AuthModeStrategy, entry: ProviderEntry, connectionConfig: Record<string, string>): Promise<{ step: FirstStep } | { reason: string }> {
  if (strategy.connect.kind === 'redirect') {
    if (!strategy.begin) return { reason: 'redirect strategy without begin()' };
    const provider = recordingProvider([SAMPLE.client.clientSecret]);
    try {
      const redirect = await strategy.begin(
        { entry, client: SAMPLE.client, redirectUri: SAMPLE.redirectUri, state: SAMPLE.state, scopes: SAMPLE.client.scopes, connectionConfig, authorizationParams: {} },
        callContext(provider.fetch),
      );
      if (!URL.canParse(redirect.url)) return { reason: `begin() returned a URL that does not parse: ${redirect.url}` };
      return { step: { kind: 'authorization URL', url: redirect.url, providerCalls: provider.requests.length } };
    } catch (error) {
      return { reason: describeError(error) };
    }
  }
  const form = sampleForm(strategy.connect.body, entry);
  if (typeof form === 'string') return { reason: `form: ${form}` };
  const submitted = [...stringsIn(form), SAMPLE.client.clientSecret];
  const provider = recordingProvider(submitted);
  let failure: unknown;
  try {
    await strategy.complete({ entry, client: SAMPLE.client, received: form, attemptSecrets: {}, redirectUri: SAMPLE.redirectUri, connectionConfig }, callContext(provider.fetch));
  } catch (error) {
    failure = error;
  }
  const first = provider.requests[0];
  if (first) {
    // A request that carries nothing the end user typed could never tell a valid credential from a wrong one.
    return carriesAny(first, submitted) ? { step: { kind: 'provider request', request: first } } : { reason: 'the first request carries none of the submitted credentials' };
  }
  return failure === undefined ? { step: { kind: 'credential form' } } : { reason: describeError(failure) };
}

function callContext(fetchImpl: typeof fetch): CallContext {
  return { now: SAMPLE.now, timeoutMs: SAMPLE.timeoutMs, refusePrivateUserHosts: false, fetch: fetchImpl };
}

/**
 * A form `body` accepts, built from what it asks for: each missing value (nested objects included) gets
 * the entry's sample for that credential, or a generic one. A string says why no form passes.
 */
export function sampleForm(body: z.ZodType<Record<string, unknown>>, entry: ProviderEntry): Record<string, unknown> | string {
  const form: Record<string, unknown> = {};
  for (let round = 0; round < MAX_FORM_ROUNDS; round++) {
    const result = body.safeParse(form);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.map(String);
      if (issue.code === 'invalid_type' && valueAt(form, path) === undefined && path.length > 0) {
        const value = issue.expected === 'object' ? {} : issue.expected === 'string' ? sampleCredential(entry, path[path.length - 1]!) : undefined;
        if (value === undefined) return `${path.join('.')}: ${issue.message}`;
        setAt(form, path, value);
      } else {
        return `${path.join('.') || '(form)'}: ${issue.message}`;
      }
    }
  }
  return 'no sample form passes its schema';
}

function sampleCredential(entry: ProviderEntry, key: string): string {
  const known = (SAMPLE.credentials as Readonly<Record<string, string>>)[key];
  const field = entry.credentials?.[key];
  return sampleValue(field, [known ?? `sample-${key}-4b7d`]);
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
