/**
 * Every secret the suite's fakes issued or its tests used (tokens, codes, client secrets, secret keys),
 * so each Temporal test environment can prove, before it is torn down, that no history holds one.
 */
const sources: Array<() => readonly string[]> = [];

/** Adds a live view of secrets (read at audit time, so later issues count). */
export function registerSecrets(source: () => readonly string[]): void {
  sources.push(source);
}

/** Every registered secret (long enough not to match by accident). */
export function knownSecrets(): string[] {
  return [...new Set(sources.flatMap((source) => source()))].filter((secret) => secret.length >= 8);
}
