/**
 * Key rotation: re-encrypts every encrypted column with the write key, bound to its table, column and
 * row id (legacy values without associated data are rewritten too), in batches, each batch in one
 * transaction with a compare-and-swap write. Resumable by construction: rotated rows no longer match.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { CustodianError, DecryptionError } from '../errors';
import { BOUND_MARKER, type Cipher } from './cipher';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from './encrypted-columns';

/** Reported after every batch. */
export interface RotationProgress {
  readonly table: string;
  readonly column: string;
  /** Rows of this column rotated so far in this run. */
  readonly rotated: number;
  /** Rows rotated by this batch. */
  readonly batchRotated: number;
  /** Estimate of rows still to rotate in this column (counted when the column started). */
  readonly remaining?: number;
}

/** The outcome for one column. */
export interface ColumnRotation {
  readonly table: string;
  readonly column: string;
  readonly rotated: number;
  /** Compare-and-swap misses: rows changed concurrently while their batch ran (retried by a later batch or run). */
  readonly skipped: number;
  /** True when a batch made no progress (every row changed concurrently): the column was left for a later run. */
  readonly incomplete: boolean;
}

/** The outcome of a run. */
export interface RotationResult {
  readonly columns: ColumnRotation[];
  readonly total: number;
  /** Whether every column finished (no column was left incomplete). */
  readonly complete: boolean;
}

export interface RotateKeysOptions {
  readonly dataSource: DataSource;
  /** The key ring; its write key is the rotation target, any key may have written the old values. */
  readonly cipher: Cipher;
  readonly batchSize?: number;
  readonly onProgress?: (progress: RotationProgress) => void | Promise<void>;
  /** Columns to walk (default: every encrypted column of the schema). */
  readonly columns?: readonly EncryptedColumn[];
}

/** A value could not be rotated; names table, column and row id, never the value. */
export class KeyRotationError extends CustodianError {
  constructor(message: string, cause?: unknown) {
    super('key_rotation_failed', message, { cause });
  }
}

/** Re-encrypts every value not written by the cipher's write key; see the file comment. */
export async function rotateKeys(options: RotateKeysOptions): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const columns: ColumnRotation[] = [];
  for (const target of options.columns ?? ENCRYPTED_COLUMNS) {
    columns.push(await rotateColumn(options, target, batchSize));
  }
  return {
    columns,
    total: columns.reduce((sum, c) => sum + c.rotated, 0),
    complete: columns.every((c) => !c.incomplete),
  };
}

async function rotateColumn(options: RotateKeysOptions, target: EncryptedColumn, batchSize: number): Promise<ColumnRotation> {
  const { dataSource, cipher } = options;
  const t = quoteIdent(target.table);
  const c = quoteIdent(target.column);
  // Rows whose value is not bound (`v2:` with five parts) or not written by the write key; the key id's regex specials are escaped.
  const pending = `${c} IS NOT NULL AND ${c} !~ $1`;
  const pattern = `^${BOUND_MARKER}:${escapeRegex(cipher.writeKeyId)}:[^:]*:[^:]*:[^:]*$`;
  const [{ count }] = (await dataSource.query(`SELECT count(*)::int AS count FROM ${t} WHERE ${pending}`, [pattern])) as [{ count: number }];
  let rotated = 0;
  let skipped = 0;
  for (;;) {
    const batch = await dataSource.transaction((manager) => rotateBatch(manager, target, cipher, { t, c, pending, pattern, batchSize }));
    if (batch.selected === 0) return { ...target, rotated, skipped, incomplete: false };
    rotated += batch.rotated;
    skipped += batch.selected - batch.rotated;
    // Every row of the batch changed under us: stop rather than spin; a later run picks them up.
    if (batch.rotated === 0) return { ...target, rotated, skipped, incomplete: true };
    await options.onProgress?.({ ...target, rotated, batchRotated: batch.rotated, remaining: Math.max(0, count - rotated) });
  }
}

async function rotateBatch(
  manager: EntityManager,
  target: EncryptedColumn,
  cipher: Cipher,
  q: { t: string; c: string; pending: string; pattern: string; batchSize: number },
): Promise<{ selected: number; rotated: number }> {
  const rows = (await manager.query(`SELECT id, ${q.c} AS value FROM ${q.t} WHERE ${q.pending} ORDER BY id LIMIT $2`, [q.pattern, q.batchSize])) as {
    id: string;
    value: string;
  }[];
  if (rows.length === 0) return { selected: 0, rotated: 0 };
  const next = rows.map((row) => cipher.encrypt(decryptOrExplain(cipher, target, row), target, row.id));
  // One compare-and-swap UPDATE for the batch: a row whose value changed since the SELECT is left alone.
  // Content is unchanged, so connection.credentials_version is deliberately not bumped.
  const [, count] = (await manager.query(
    `UPDATE ${q.t} SET ${q.c} = v.new_value
       FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::text[]) AS old_value, unnest($3::text[]) AS new_value) AS v
      WHERE ${q.t}.id = v.id AND ${q.t}.${q.c} = v.old_value`,
    [rows.map((r) => r.id), rows.map((r) => r.value), next],
  )) as [unknown, number];
  return { selected: rows.length, rotated: count };
}

function decryptOrExplain(cipher: Cipher, target: EncryptedColumn, row: { id: string; value: string }): string {
  try {
    return cipher.decrypt(row.value, target, row.id);
  } catch (error) {
    // DecryptionError messages name at most the key id, never key material or plaintext.
    const reason = error instanceof DecryptionError ? `${error.code}: ${error.message}` : 'unexpected error';
    throw new KeyRotationError(`Cannot decrypt ${target.table}.${target.column} of row ${row.id} (${reason}); nothing of this batch was written`, error);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}
