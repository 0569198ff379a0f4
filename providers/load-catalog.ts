/**
 * Loads the provider catalog: one YAML file per provider under `providers/catalog/` (strict),
 * plus an optional Nango-format file (`PROVIDERS_FILE`) whose usable entries add to or override them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogError } from '../src/errors';
import { describeIssue, PROVIDER_NAME, providerEntrySchema, type ProviderEntry } from './catalog-schema';
import { deepFreeze } from './deep-freeze';
import { loadNangoProvidersFile, type RejectedEntry } from './nango-providers-file';
import { parseYamlMap } from './yaml-map';

/** The directory of Custodian's own catalog files. */
export const DEFAULT_CATALOG_DIR = path.join(__dirname, 'catalog');

const CATALOG_FILE_SUFFIX = '.yaml';

/** A provider with its name, as listed. */
export interface ProviderListing {
  readonly name: string;
  readonly entry: ProviderEntry;
}

/** The loaded, frozen catalog. */
export interface Catalog {
  /** Number of providers. */
  readonly size: number;
  /** Entries of the extra file that were left out, and why (to log at start-up): rejected ones, then those of an unsupported auth mode. */
  readonly skipped: readonly RejectedEntry[];
  /** The entry of a provider, or undefined. */
  get(name: string): ProviderEntry | undefined;
  /** Whether the provider exists. */
  has(name: string): boolean;
  /** All providers, sorted by name. */
  list(): readonly ProviderListing[];
  /** Providers whose name, display name or a category contains `text` (case-insensitive). */
  search(text: string): readonly ProviderListing[];
}

/** Options of {@link loadCatalog}. */
export interface LoadCatalogOptions {
  /** Directory of `<name>.yaml` files; defaults to {@link DEFAULT_CATALOG_DIR}. */
  dir?: string;
  /** A Nango-format providers.yaml whose entries are added, overriding same-named ones. */
  extraFile?: string;
}

/** Reads, validates and freezes the catalog; a bad file throws `CatalogError(file, field, message)`. */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  const entries = readCatalogDir(options.dir ?? DEFAULT_CATALOG_DIR);
  let skipped: readonly RejectedEntry[] = [];
  if (options.extraFile !== undefined) {
    const extra = loadNangoProvidersFile(options.extraFile);
    for (const [name, entry] of extra.entries) entries.set(name, entry);
    skipped = [...extra.rejected, ...extra.unsupported.map(({ file, name, reason }) => ({ file, name, reason }))];
  }
  return createCatalog(entries, skipped);
}

/**
 * The catalog plus entries made at start (the dev-only demo provider, whose URLs carry a port chosen
 * then), each validated by the strict catalog schema; a bad one throws `CatalogError`.
 */
export function extendCatalog(catalog: Catalog, extra: Readonly<Record<string, unknown>>): Catalog {
  const entries = new Map(catalog.list().map(({ name, entry }) => [name, entry]));
  for (const [name, raw] of Object.entries(extra)) {
    const source = `(built-in entry ${name})`;
    if (!PROVIDER_NAME.test(name)) throw new CatalogError(source, '(name)', `provider name must match ${PROVIDER_NAME.source}`);
    const result = providerEntrySchema.safeParse(raw);
    if (!result.success) {
      const { field, message } = describeIssue(result.error.issues[0]!);
      throw new CatalogError(source, field, message);
    }
    entries.set(name, deepFreeze(result.data));
  }
  return createCatalog(entries, catalog.skipped);
}

function readCatalogDir(dir: string): Map<string, ProviderEntry> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith(CATALOG_FILE_SUFFIX)).sort();
  } catch (error) {
    throw new CatalogError(dir, '(directory)', `cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const entries = new Map<string, ProviderEntry>();
  for (const file of files) {
    const name = file.slice(0, -CATALOG_FILE_SUFFIX.length);
    entries.set(name, readCatalogFile(path.join(dir, file), name));
  }
  return entries;
}

function readCatalogFile(file: string, name: string): ProviderEntry {
  if (!PROVIDER_NAME.test(name)) throw new CatalogError(file, '(file name)', `provider name must match ${PROVIDER_NAME.source}`);
  const result = providerEntrySchema.safeParse(parseYamlMap(readFileSync(file, 'utf8'), file));
  if (!result.success) {
    const { field, message } = describeIssue(result.error.issues[0]!);
    throw new CatalogError(file, field, message);
  }
  return deepFreeze(result.data);
}

function createCatalog(entries: ReadonlyMap<string, ProviderEntry>, skipped: readonly RejectedEntry[]): Catalog {
  const listing: readonly ProviderListing[] = Object.freeze(
    [...entries.keys()].sort().map((name) => Object.freeze({ name, entry: entries.get(name)! })),
  );
  return Object.freeze({
    size: entries.size,
    skipped: Object.freeze([...skipped]),
    get: (name: string) => entries.get(name),
    has: (name: string) => entries.has(name),
    list: () => listing,
    search: (text: string) => {
      const needle = text.trim().toLowerCase();
      return listing.filter(({ name, entry }) =>
        [name, entry.display_name, ...(entry.categories ?? [])].some((value) => value.toLowerCase().includes(needle)),
      );
    },
  });
}
