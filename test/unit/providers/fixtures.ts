/** Helpers shared by the provider tests: temporary catalog directories, caught errors, sample values. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FieldSchema } from '../../../providers/catalog-schema';
import type { DeepReadonly } from '../../../providers/deep-freeze';

/** A temporary directory holding the given files; call `remove()` when done. */
export function tempDir(files: Record<string, string>): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'custodian-providers-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The error `fn` throws (fails the test when it throws nothing). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

/** Values that satisfy common field patterns, tried after a field's own example and default. */
const GENERIC_VALUES = [
  'acme',
  'us',
  '123456',
  'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
  'a1b2c3d4e5f6a7b8',
  'a1b2c3d4-e5f6-47a8-9b0c-d1234567890f',
  'acme.example.com',
  'https://acme.example.com',
  '2024-01-01',
];

/** A dummy value for a field that satisfies its pattern (or the default one) when any candidate does. */
export function sampleValue(field: DeepReadonly<FieldSchema> | undefined, extraCandidates: readonly string[] = []): string {
  const pattern = field?.pattern !== undefined ? new RegExp(`^(?:${field.pattern})$`) : /^[A-Za-z0-9._-]+$/;
  const candidates = [field?.example, field?.default_value, ...extraCandidates, ...GENERIC_VALUES];
  return candidates.find((value): value is string => value !== undefined && value !== '' && pattern.test(value)) ?? 'acme';
}

/** Sample values for every declared field of a `connection_config` / `credentials` map. */
export function sampleValues(
  fields: DeepReadonly<Record<string, FieldSchema>> | undefined,
  extraCandidates: (key: string) => readonly string[] = () => [],
): Record<string, string> {
  return Object.fromEntries(Object.entries(fields ?? {}).map(([key, field]) => [key, sampleValue(field, extraCandidates(key))]));
}
