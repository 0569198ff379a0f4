/**
 * The proxy's request headers (API.md §8): the control headers `@nangohq/node` sends, and the caller's
 * headers for the provider, named `Nango-Proxy-<name>` (forwarded with the prefix removed). Nothing else
 * the caller sends reaches the provider, except the body's `Content-Type`.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { connectionIdField, providerConfigKey } from '../api/schemas/connection-fields';
import { ValidationError } from '../errors';

const FORWARD_PREFIX = 'nango-proxy-';
/** Most retries a caller may ask for. */
export const MAX_RETRIES = 10;
// Never forwarded even when prefixed: they describe our hop, not the provider's (undici sets them).
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'proxy-authorization', 'proxy-connection']);

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const controlHeaders = z.object({
  'provider-config-key': providerConfigKey,
  'connection-id': connectionIdField,
  retries: z.coerce.number().int().min(0).max(MAX_RETRIES).default(0),
  'retry-on': z
    .string()
    .regex(/^\s*\d{3}(\s*,\s*\d{3})*\s*$/, 'a comma-separated list of HTTP statuses')
    .transform((list) => list.split(',').map((status) => Number(status.trim())))
    .optional(),
  'base-url-override': z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).optional(),
  decompress: flag.optional(),
  'forward-headers-on-redirect': flag.optional(),
  'idempotency-key': z.string().min(1).max(255).optional(),
});

/** What the caller asked of the proxy. */
export interface ProxyControl {
  providerConfigKey: string;
  connectionId: string;
  retries: number;
  retryOn: readonly number[];
  baseUrlOverride: string | null;
  decompress: boolean | undefined;
  forwardHeadersOnRedirect: boolean | undefined;
  /** Set when the caller made a non-idempotent request safe to send again (`Idempotency-Key`, plain or prefixed). */
  idempotent: boolean;
}

/** Reads the control headers (400 `invalid_headers` naming each bad one) and the headers to forward. */
export function readProxyHeaders(req: IncomingMessage): { control: ProxyControl; forwarded: Record<string, string> } {
  const parsed = controlHeaders.safeParse(req.headers);
  if (!parsed.success) {
    throw new ValidationError('invalid_headers', 'Provider-Config-Key and Connection-Id are required; the other proxy headers must be well formed', {
      errors: parsed.error.issues.map((issue) => ({ code: issue.code, message: issue.message, path: issue.path.map(String) })),
    });
  }
  const forwarded = forwardedHeaders(req.rawHeaders);
  const headers = parsed.data;
  return {
    control: {
      providerConfigKey: headers['provider-config-key'],
      connectionId: headers['connection-id'],
      retries: headers.retries,
      retryOn: headers['retry-on'] ?? [],
      baseUrlOverride: headers['base-url-override'] ? headers['base-url-override'] : null,
      decompress: headers.decompress,
      forwardHeadersOnRedirect: headers['forward-headers-on-redirect'],
      idempotent: headers['idempotency-key'] !== undefined || forwarded['idempotency-key'] !== undefined,
    },
    forwarded,
  };
}

/** `Nango-Proxy-<name>: value` pairs as `<name>` (lower-case) → value; the body's Content-Type unless one is forwarded. */
function forwardedHeaders(raw: readonly string[]): Record<string, string> {
  const forwarded: Record<string, string> = {};
  let contentType: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'content-type') contentType = value;
    if (!name.startsWith(FORWARD_PREFIX)) continue;
    const target = name.slice(FORWARD_PREFIX.length);
    if (target === '' || HOP_HEADERS.has(target)) continue;
    forwarded[target] = forwarded[target] === undefined ? value : `${forwarded[target]}, ${value}`;
  }
  if (contentType !== undefined && forwarded['content-type'] === undefined) forwarded['content-type'] = contentType;
  return forwarded;
}
