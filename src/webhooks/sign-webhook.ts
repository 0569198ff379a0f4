/** Webhook request headers: Nango's two signatures plus the Standard Webhooks trio. */
import { createHash, createHmac } from 'node:crypto';

export interface WebhookSigningInput {
  /** The exact body bytes that will be sent (see serializeWebhookBody). */
  body: string;
  /** The environment's webhook signing key (defaults to its secret key). */
  signingKey: string;
  /** Unique per event, stable across retries (receivers deduplicate on it). */
  webhookId: string;
  /** When this attempt is sent; rendered as unix seconds. */
  timestamp: Date;
}

/** Hex HMAC-SHA256 of the body: what `@nangohq/node` `verifyIncomingWebhookRequest` checks. */
function nangoHmac(signingKey: string, body: string): string {
  return createHmac('sha256', signingKey).update(body, 'utf8').digest('hex');
}

/** Legacy hex SHA-256 of key + body (Nango's deprecated `verifyWebhookSignature`). */
function nangoLegacySignature(signingKey: string, body: string): string {
  return createHash('sha256').update(`${signingKey}${body}`, 'utf8').digest('hex');
}

/**
 * Standard Webhooks `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 * The spec's secrets are `whsec_<base64>` and sign with the decoded bytes; Nango signing keys are not in
 * that form, so the HMAC key is the UTF-8 bytes of the signing key as-is (the same key the Nango headers use).
 */
function standardWebhookSignature(signingKey: string, webhookId: string, seconds: string, body: string): string {
  const mac = createHmac('sha256', Buffer.from(signingKey, 'utf8')).update(`${webhookId}.${seconds}.${body}`, 'utf8');
  return `v1,${mac.digest('base64')}`;
}

/** All headers of one delivery attempt of `body`. */
export function webhookHeaders({ body, signingKey, webhookId, timestamp }: WebhookSigningInput): Record<string, string> {
  const seconds = Math.floor(timestamp.getTime() / 1000).toString();
  return {
    'Content-Type': 'application/json',
    'X-Nango-Hmac-Sha256': nangoHmac(signingKey, body),
    'X-Nango-Signature': nangoLegacySignature(signingKey, body),
    'webhook-id': webhookId,
    'webhook-timestamp': seconds,
    'webhook-signature': standardWebhookSignature(signingKey, webhookId, seconds, body),
  };
}
