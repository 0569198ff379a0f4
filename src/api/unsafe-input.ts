/**
 * What no request value may carry, whatever its route: a NUL character or a lone UTF-16 surrogate in
 * any string or object key (PostgreSQL refuses both in text and jsonb, and the `pg` driver silently
 * replaces a lone surrogate with U+FFFD), an object key that names JavaScript's prototype machinery,
 * or nesting deeper than any Custodian field needs (recursive serialisers overflow the stack on it).
 */
import type { ErrorDetail } from '../errors';

/** Object keys refused anywhere in a request: merging them into plain objects is how prototypes get polluted. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest accepted nesting of objects and arrays in a body (metadata, `raw` token responses). */
export const MAX_NESTING_DEPTH = 64;

/** Problems reported per request at most: enough to fix a request, few enough to keep the answer small. */
const MAX_PROBLEMS = 20;

type Path = (string | number)[];

// In a `u` regex a paired surrogate is one code point, so \p{Cs} matches only the lone ones.
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` is free of NUL characters and lone surrogates. */
export function isSafeString(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

function stringProblem(text: string, path: Path, what: 'value' | 'key'): ErrorDetail | undefined {
  if (text.includes('\u0000')) return { code: 'invalid_string', message: `the ${what} contains a NUL character`, path };
  if (LONE_SURROGATE.test(text)) return { code: 'invalid_string', message: `the ${what} contains a lone UTF-16 surrogate`, path };
  return undefined;
}

/** The problem with an object key, if any (also used for `name[key]` query parameters). */
export function keyProblem(key: string, path: Path): ErrorDetail | undefined {
  if (RESERVED_KEYS.has(key)) return { code: 'reserved_key', message: `"${key}" is not accepted as a key`, path };
  return stringProblem(key, path, 'key');
}

/** A value still to look at, or a problem found at a key, kept in the stack so problems come out in document order. */
type Pending = { value: unknown; path: Path } | { problem: ErrorDetail };

/** Every unsafe string, reserved key and over-deep nesting in `value` (a parsed body, query or params), at its path, in document order; iterative, so any depth is safe to walk. */
export function unsafeInputProblems(value: unknown, maxDepth: number = MAX_NESTING_DEPTH): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const pending: Pending[] = [{ value, path: [] }];
  while (pending.length > 0 && problems.length < MAX_PROBLEMS) {
    const item = pending.pop()!;
    if ('problem' in item) {
      problems.push(item.problem);
      continue;
    }
    const { value: current, path } = item;
    if (typeof current === 'string') {
      const problem = stringProblem(current, path, 'value');
      if (problem) problems.push(problem);
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= maxDepth) {
      problems.push({ code: 'too_deep', message: `nested deeper than ${maxDepth} levels`, path });
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) pending.push({ value: current[index], path: [...path, index] });
      continue;
    }
    const entries = Object.entries(current);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index]!;
      const problem = keyProblem(key, [...path, key]);
      pending.push(problem ? { problem } : { value: child, path: [...path, key] });
    }
  }
  return problems;
}
