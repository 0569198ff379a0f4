/** Parsing a YAML document whose root must be a map, with errors that name the file. */
import { parse } from 'yaml';
import { CatalogError } from '../src/errors';

/** Parses `text` (from `file`) and returns its root map; throws `CatalogError` for bad YAML or another root. */
export function parseYamlMap(text: string, file: string): Record<string, unknown> {
  let root: unknown;
  try {
    // Duplicate keys are an error (the yaml package's default), so an entry cannot silently shadow itself.
    root = parse(text);
  } catch (error) {
    throw new CatalogError(file, '(yaml)', (error as Error).message.split('\n')[0] ?? 'invalid YAML');
  }
  if (!isMap(root)) throw new CatalogError(file, '(root)', 'must be a map');
  return root;
}

/** Whether `value` is a plain map (not null, not an array). */
export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
