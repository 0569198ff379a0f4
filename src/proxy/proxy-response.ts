/** What of the provider's answer goes back to the caller: its status, its headers less a few, its body (decompressed on request). */
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

// RFC 9110 §7.6.1 hop-by-hop headers, and those describing our own connection.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The provider's headers the caller gets: all but hop-by-hop ones, `access-control-*` (ours govern the
 * browser), `set-cookie` (a provider session must not leak into the caller's), and any header whose value
 * holds one of the connection's secrets (a provider echoing the token).
 */
export function returnedHeaders(headers: Readonly<Record<string, string | string[]>>, secrets: readonly string[], decompressed: boolean): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('access-control-') || lower === 'set-cookie') continue;
    if (decompressed && (lower === 'content-encoding' || lower === 'content-length')) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((text) => secrets.some((secret) => secret.length >= 8 && text.includes(secret)))) continue;
    kept[lower] = value;
  }
  return kept;
}

/** The body decompressed when asked and encoded with gzip, deflate or br; otherwise as received. */
export function decompressed(body: Readable, contentEncoding: string | string[] | undefined): { body: Readable; changed: boolean } {
  const encoding = (Array.isArray(contentEncoding) ? contentEncoding.join(',') : (contentEncoding ?? '')).trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return { body, changed: false };
  body.on('error', (error) => decoder.destroy(error));
  return { body: body.pipe(decoder), changed: true };
}

/** Reads and discards a body we will not return (a 401 before the refresh, a retried answer), freeing its connection. */
export async function discard(body: Readable): Promise<void> {
  try {
    for await (const _ of body) void _;
  } catch {
    // A body that fails while discarded changes nothing.
  }
}

export { Readable };
