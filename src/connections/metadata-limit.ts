/** The cap on a connection's metadata: 64 KB of serialized JSON (after a PATCH's merge). */
import { ValidationError } from '../errors';

/** Largest accepted metadata of one connection, in bytes of its JSON serialization (UTF-8). */
export const MAX_METADATA_BYTES = 64 * 1024;

/** Size of `metadata` as stored: its JSON serialization in UTF-8 bytes. */
export function metadataBytes(metadata: unknown): number {
  return Buffer.byteLength(JSON.stringify(metadata ?? null), 'utf8');
}

/** The message of a metadata that does not fit. */
export function metadataTooLargeMessage(bytes: number): string {
  return `metadata is ${bytes} bytes of JSON; at most ${MAX_METADATA_BYTES} are accepted per connection`;
}

/** Throws 400 metadata_too_large unless `metadata` fits the cap. */
export function assertMetadataFits(metadata: unknown): void {
  const bytes = metadataBytes(metadata);
  if (bytes > MAX_METADATA_BYTES) {
    const message = metadataTooLargeMessage(bytes);
    throw new ValidationError('metadata_too_large', message, { errors: [{ code: 'too_big', message, path: ['metadata'] }] });
  }
}
