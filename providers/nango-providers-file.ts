/**
 * Reads a Nango-format `providers.yaml` (a map name → entry, `alias:` inheritance) leniently:
 * keys Custodian does not support are dropped and reported, entries that still fail are rejected
 * with the file, field and reason, and the rest are validated like our own catalog files except that
 * only what an auth mode needs is required (docs, categories and field descriptions may be left out;
 * `display_name` defaults to the entry's name, a field's `title` to its key and its `type` to string, and
 * a field whose example or pattern is a PEM block, or whose description says PEM, is `multiline`).
 * An entry whose auth mode Custodian does not implement is neither used nor rejected: it is kept apart
 * with its mode, so the file still loads and the mode's entries are ready once the mode exists.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CatalogError } from '../src/errors';
import { AUTH_MODES, describeIssue, fieldPath, nangoEntrySchema, PROVIDER_NAME, type ProviderEntry } from './catalog-schema';
import { deepFreeze } from './deep-freeze';
import { looksLikePem } from './pem-field';
import { isMap, parseYamlMap } from './yaml-map';

/** An entry that could not be used, and why. */
export interface RejectedEntry {
  /** The file it was read from. */
  readonly file: string;
  readonly name: string;
  /** `<field>: <problem>`, the field a dotted path inside the entry. */
  readonly reason: string;
}

/**
 * An entry whose auth mode Custodian does not implement (yet). It is kept, resolved (aliases followed)
 * and frozen, but never validated or used: what a mode needs is only known once the mode exists.
 */
export interface UnsupportedModeEntry extends RejectedEntry {
  readonly authMode: string;
  /** The entry as written, its alias resolved. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The unsupported keys removed from one entry (dotted paths). */
export interface DroppedKeys {
  readonly name: string;
  readonly keys: readonly string[];
}

/** Result of reading a Nango-format file. */
export interface NangoProviders {
  readonly entries: ReadonlyMap<string, ProviderEntry>;
  readonly rejected: readonly RejectedEntry[];
  /** Entries whose `auth_mode` is not one of AUTH_MODES (neither rejected nor usable). */
  readonly unsupported: readonly UnsupportedModeEntry[];
  readonly dropped: readonly DroppedKeys[];
}

type RawEntry = Record<string, unknown>;
// Dropping unknown keys can reveal problems nested under them only after a re-parse; a few rounds suffice.
const MAX_DROP_ROUNDS = 8;
const CREDENTIAL_PLACEHOLDER = /\$\{(?:apiKey|accessToken|credentials\.)/;
// Maps of field schemas (what the Connect UI renders).
const FIELD_GROUPS = ['connection_config', 'credentials', 'assertion_option', 'integration_config'];

/** Reads and validates a Nango-format providers file; throws `CatalogError` only if the file itself is unreadable. */
export function loadNangoProvidersFile(file: string): NangoProviders {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CatalogError(file, '(file)', `cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseNangoProviders(text, file);
}

/** Validates the text of a Nango-format providers file; `file` is only used in error messages. */
export function parseNangoProviders(text: string, file: string): NangoProviders {
  const root = parseYamlMap(text, file);
  const entries = new Map<string, ProviderEntry>();
  const rejected: RejectedEntry[] = [];
  const unsupported: UnsupportedModeEntry[] = [];
  const dropped: DroppedKeys[] = [];
  for (const name of Object.keys(root)) {
    const outcome = readEntry(name, root);
    if (outcome.keys.length > 0) dropped.push({ name, keys: outcome.keys });
    if ('entry' in outcome) entries.set(name, deepFreeze(outcome.entry));
    else if ('authMode' in outcome) unsupported.push(deepFreeze({ file, name, authMode: outcome.authMode, reason: outcome.reason, raw: outcome.raw }));
    else rejected.push({ file, name, reason: outcome.reason });
  }
  return { entries, rejected, unsupported, dropped };
}

type Outcome = ({ entry: ProviderEntry } | { reason: string } | { authMode: string; reason: string; raw: RawEntry }) & { keys: string[] };

function readEntry(name: string, root: Record<string, unknown>): Outcome {
  if (!PROVIDER_NAME.test(name)) return { reason: `name must match ${PROVIDER_NAME.source}`, keys: [] };
  const resolved = resolveAlias(name, root, []);
  if (typeof resolved === 'string') return { reason: resolved, keys: [] };
  const authMode = resolved['auth_mode'];
  if (typeof authMode !== 'string' || authMode === '') return { reason: authMode === undefined ? 'auth_mode: missing' : `auth_mode: must be a name (${shown(authMode)})`, keys: [] };
  if (!AUTH_MODES.includes(authMode as never)) {
    return { authMode, reason: `auth_mode: ${authMode} is not supported (yet)`, raw: resolved, keys: [] };
  }
  fillDefaults(name, resolved);
  const keys = enumsToPatterns(resolved);
  return { ...validateDroppingUnknownKeys(resolved, keys), keys };
}

/** What a user may leave out of an entry and every consumer still needs: a name to show, field titles and types. */
function fillDefaults(name: string, entry: RawEntry): void {
  entry['display_name'] ??= name;
  for (const group of FIELD_GROUPS) {
    const fields = entry[group];
    if (!isMap(fields)) continue;
    for (const [key, field] of Object.entries(fields)) {
      if (!isMap(field)) continue;
      field['type'] ??= 'string';
      field['title'] ??= key;
      // Nango has no mark for values that span lines; a PEM block (in the example or pattern, or named by the description) is one.
      if (field['multiline'] === undefined && looksLikePem(field)) field['multiline'] = true;
    }
  }
}

/** Nango's inheritance: the alias target's keys, overridden by the entry's own (shallow, like Nango). */
function resolveAlias(name: string, root: Record<string, unknown>, chain: string[]): RawEntry | string {
  const raw = root[name];
  if (!isMap(raw)) return 'entry is not a map';
  const { alias, ...own } = raw;
  if (alias === undefined) return structuredClone(raw);
  if (typeof alias !== 'string' || !Object.hasOwn(root, alias)) return `alias: unknown provider ${shown(alias)}`;
  if (chain.includes(alias)) return `alias: cycle through ${alias}`;
  const parent = resolveAlias(alias, root, [...chain, name]);
  if (typeof parent === 'string') return parent;
  return { ...parent, ...structuredClone(own) };
}

/**
 * Our field schema has no `enum`; turning a field's enum into a pattern keeps Nango's restriction
 * (e.g. Typeform's auth host may only be one of its data centres, not any host).
 */
function enumsToPatterns(entry: RawEntry): string[] {
  const converted: string[] = [];
  for (const group of FIELD_GROUPS) {
    const fields = entry[group];
    if (!isMap(fields)) continue;
    for (const [key, field] of Object.entries(fields)) {
      if (!isMap(field) || !Array.isArray(field['enum'])) continue;
      const declared = typeof field['pattern'] === 'string' ? new RegExp(`^(?:${field['pattern']})$`) : undefined;
      const allowed = field['enum'].map(String).filter((value) => declared?.test(value) ?? true);
      field['pattern'] = `^(?:${allowed.map(escapeRegExp).join('|')})$`;
      delete field['enum'];
      converted.push(`${group}.${key}.enum (kept as pattern)`);
    }
  }
  return converted;
}

function validateDroppingUnknownKeys(entry: RawEntry, dropped: string[]): { entry: ProviderEntry } | { reason: string } {
  for (let round = 0; round < MAX_DROP_ROUNDS; round++) {
    const result = nangoEntrySchema.safeParse(entry);
    if (result.success) return { entry: result.data };
    const removals = result.error.issues.map((issue) => ({ issue, removal: removalFor(issue) }));
    const blocking = removals.find(({ issue, removal }) => removal === undefined || (removal.value && valueAt(entry, issue.path) === undefined));
    if (blocking) {
      const first = describeIssue(blocking.issue);
      return { reason: `${first.field}: ${first.message}` };
    }
    for (const { removal } of removals) {
      for (const path of removal!.paths) {
        if (valueAt(entry, path) === undefined) continue;
        const consequence = credentialConsequence(entry, path);
        if (consequence === 'reject') return { reason: `${fieldPath(path)}: carries credentials but is not a supported key` };
        deleteAt(entry, path);
        dropped.push(removal!.why === undefined ? fieldPath(path) : `${fieldPath(path)} (${removal!.why})`);
        if (consequence === 'drop-verification') {
          deleteAt(entry, ['proxy', 'verification']);
          dropped.push(`proxy.verification (its request needs ${fieldPath(path)})`);
        }
      }
    }
  }
  return { reason: 'too many rounds of unsupported keys' };
}

interface Removal {
  readonly paths: readonly (readonly PropertyKey[])[];
  /** Why a value (not an unknown key) goes; absent for unknown keys. */
  readonly why?: string;
  /** The issue is about a value that is there (not one that is missing). */
  readonly value: boolean;
}

/**
 * What can go instead of rejecting the entry for `issue`: an unknown key; a proxy value Custodian cannot
 * fill in (a template function such as `${base64(…)}`, a placeholder it has no value for, a credential in a
 * URL), which only the proxy and the verification would use (see credentialConsequence: a verification that
 * needs it goes with it); a credential field's pattern that is not a valid regular expression (the field is
 * then checked less, never more). Anything else rejects the entry.
 */
function removalFor(issue: z.core.$ZodIssue): Removal | undefined {
  if (issue.code === 'unrecognized_keys') return { paths: issue.keys.map((key) => [...issue.path, key]), value: false };
  const [group, second, third] = issue.path;
  const why = issue.message;
  if (group === 'proxy' && second === 'verification') return { paths: [['proxy', 'verification']], why: `${fieldPath(issue.path)}: ${why}`, value: true };
  if (group === 'proxy' && (second === 'headers' || second === 'base_url')) return { paths: [issue.path], why, value: true };
  if (group === 'credentials' && third === 'pattern' && issue.path.length === 3) return { paths: [issue.path], why, value: true };
  return undefined;
}

/**
 * What dropping an unsupported key or value does to the credentials Custodian sends itself. Proxy settings
 * (and Nango's per-integration proxy settings) matter to the verification request: without them it would
 * go out without the key and refuse every valid one, so the verification goes too and the key is stored
 * unchecked, as for entries that declare none; without `proxy.base_url` it has nowhere to go. Anywhere else
 * (token request extras) the entry could never authenticate and is rejected.
 */
function credentialConsequence(entry: RawEntry, path: readonly PropertyKey[]): 'none' | 'drop-verification' | 'reject' {
  if (path[0] === 'proxy' && path[1] === 'verification') return 'none';
  const verified = valueAt(entry, ['proxy', 'verification']) !== undefined;
  if (path.length === 2 && path[0] === 'proxy' && path[1] === 'base_url') return verified ? 'drop-verification' : 'none';
  if (!CREDENTIAL_PLACEHOLDER.test(JSON.stringify(valueAt(entry, path)) ?? '')) return 'none';
  if (path[0] !== 'proxy' && path[0] !== 'integration_config') return 'reject';
  return verified ? 'drop-verification' : 'none';
}

function valueAt(target: RawEntry, path: readonly PropertyKey[]): unknown {
  let node: unknown = target;
  for (const key of path) node = isMap(node) ? node[key as string] : Array.isArray(node) && typeof key === 'number' ? (node as unknown[])[key] : undefined;
  return node;
}

function deleteAt(target: RawEntry, path: readonly PropertyKey[]): void {
  const parent = valueAt(target, path.slice(0, -1));
  // The parent may already be gone (a dropped verification takes its own unknown keys with it).
  if (isMap(parent)) delete parent[String(path[path.length - 1])];
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
