/** Field schemas shared by the import shapes of several modes (`POST /connections` credentials). */
import { z } from 'zod';

/** Latest accepted expiry: the end of year 9999 (ISO 8601 without expansion). */
const LAST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A credentials expiry: an ISO 8601 timestamp from 1970 to 9999 (year 0 or a 30 February is no expiry anyone was given). */
export const expiryField = z.iso
  .datetime({ offset: true })
  // Zod runs refinements after a failed format too: an unparseable value is already reported.
  .refine((text) => Number.isNaN(Date.parse(text)) || (Date.parse(text) >= 0 && Date.parse(text) <= LAST_EXPIRY_MS), 'must be a date from 1970 to 9999');

/** A provider's answer kept as received. */
export const rawField = z.record(z.string(), z.unknown()).optional();

/** `expires_at` as a Date, or null. */
export function dateOf(expiresAt: string | undefined): Date | null {
  return expiresAt ? new Date(expiresAt) : null;
}

/** Strings only, empty ones left out (the secrets of a credentials shape). */
export function secretStrings(...values: readonly unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}
