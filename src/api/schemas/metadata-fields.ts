/** Body fields of the metadata routes and imports: the metadata object (≤ 64 KB) and the connection ids of a bulk write (≤ 100). */
import { z } from 'zod';
import { MAX_METADATA_BYTES, metadataBytes, metadataTooLargeMessage } from '../../connections/metadata-limit';
import { limitIssue } from '../validation';
import { connectionIdField } from './connection-fields';

/** Most connection ids one metadata request may name. */
export const MAX_METADATA_CONNECTION_IDS = 100;

/** A metadata object; over 64 KB serialized → 400 metadata_too_large (a PATCH's merged result is checked again when written). */
export const metadataField = z.record(z.string(), z.unknown()).superRefine((metadata, ctx) => {
  const bytes = metadataBytes(metadata);
  if (bytes > MAX_METADATA_BYTES) ctx.addIssue(limitIssue('metadata_too_large', metadataTooLargeMessage(bytes)));
});

/** One connection id or a list of 1–100; more → 400 too_many_connection_ids. */
export const metadataConnectionIds = z.union([connectionIdField, z.array(connectionIdField).min(1)]).superRefine((ids, ctx) => {
  if (Array.isArray(ids) && ids.length > MAX_METADATA_CONNECTION_IDS) {
    ctx.addIssue(limitIssue('too_many_connection_ids', `${ids.length} connection ids given; at most ${MAX_METADATA_CONNECTION_IDS} per request`));
  }
});
