/** What the first-step exercise shares: its result types, the sample values strategies receive, and its guards. */
import type { IntegrationClient } from '../../../providers/auth-modes';
import type { RecordedRequest } from './recording-provider';

/** What an entry's auth mode starts with. */
export type FirstStep =
  | { readonly kind: 'authorization URL'; readonly url: string; readonly providerCalls: number }
  | { readonly kind: 'provider request'; readonly request: RecordedRequest }
  | { readonly kind: 'credential form' };

/** The first step, or why it could not be taken; `via` says what built it. */
export type Exercise = ({ readonly step: FirstStep } | { readonly reason: string }) & { readonly via: 'strategy' | 'legacy builder' | 'none' };

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
