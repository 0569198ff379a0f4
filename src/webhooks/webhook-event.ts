/** Webhook events sent to an environment's webhook URL, and their canonical body (the exact bytes that are signed). */

/** End user of a connection made through a Connect session. */
export interface WebhookEndUser {
  endUserId: string;
  endUserEmail?: string | undefined;
  organizationId?: string | undefined;
  tags: Record<string, string>;
}

/** Fields every connection event carries. */
interface ConnectionEventBase {
  from: 'nango';
  connectionId: string;
  providerConfigKey: string;
  authMode: string;
  provider: string;
  /** Environment name. */
  environment: string;
  tags?: Record<string, string> | undefined;
  endUser?: WebhookEndUser | undefined;
}

/** A connection was created, overridden or refreshed — or that attempt failed (`success: false` with `error`). */
export type AuthWebhookEvent = ConnectionEventBase & {
  type: 'auth';
  operation: 'creation' | 'override' | 'refresh';
} & ({ success: true; error?: undefined } | { success: false; error: { type: string; description: string } });

/** A connection was deleted. */
export type DeletionWebhookEvent = ConnectionEventBase & {
  type: 'connection';
  operation: 'deletion';
  success: true;
};

export type WebhookEvent = AuthWebhookEvent | DeletionWebhookEvent;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Copies plain objects with their keys in code-unit order; JSON.stringify applies it at every depth. */
function sortKeys(_key: string, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return sorted;
}

/** The body as sent and signed: keys sorted recursively, `undefined` fields dropped, no whitespace. */
export function serializeWebhookBody(event: WebhookEvent): string {
  return JSON.stringify(event, sortKeys);
}
