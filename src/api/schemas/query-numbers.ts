/**
 * Numbers in query strings (`limit`, `page`, `cursor`): plain decimal digits within documented bounds.
 * No sign, exponent, hex, spaces or `NaN`; anything else, or a value out of range, is 400
 * invalid_query_params rather than a number PostgreSQL refuses later.
 */
import { z } from 'zod';

/** Highest `page` of `GET /connections` (×`limit` 2000 it stays far inside PostgreSQL's OFFSET range). */
export const MAX_PAGE = 1_000_000;

/** Largest PostgreSQL bigint: operation log ids, hence log cursors, never exceed it. */
const MAX_BIGINT = 2n ** 63n - 1n;

/** A decimal integer in `[min, max]` (both safe integers). */
export function integerQuery(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'must be a decimal integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** A cursor of `GET /connections/:id/logs`: an operation log id as returned in `next_cursor`. */
export const logCursorQuery = z
  .string()
  .regex(/^\d{1,19}$/, 'must be a cursor returned by a previous page')
  // Zod runs refinements after a failed regex too: only digits reach BigInt (which throws on anything else).
  .refine((cursor) => !/^\d+$/.test(cursor) || BigInt(cursor) <= MAX_BIGINT, 'must be a cursor returned by a previous page');
