/**
 * Decides whether and where an event goes (environment gates, override URL, primary and secondary
 * URLs) and records one `webhook_delivery` row per target. Delivery itself is a workflow per row.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConnectionEntity, EnvironmentEntity, IntegrationEntity } from '../db/entities';
import { WebhookDeliveryEntity } from '../db/entities';
import type { WebhookEvent } from './webhook-event';

export type ConnectionEventKind = 'creation' | 'override' | 'override_failed' | 'refresh_failed' | 'refresh_recovered' | 'deletion';

export interface ConnectionEventInput {
  kind: ConnectionEventKind;
  environment: EnvironmentEntity;
  integration: IntegrationEntity;
  connection: ConnectionEntity;
  authMode: string;
  error?: { type: string; description: string };
}

/** Whether the environment's settings let this kind of event out (override events always go). */
export function eventEnabled(environment: EnvironmentEntity, kind: ConnectionEventKind): boolean {
  switch (kind) {
    case 'creation':
      return environment.onAuthCreation;
    case 'override':
    case 'override_failed':
      return true;
    case 'refresh_failed':
      return environment.onAuthRefreshError;
    case 'refresh_recovered':
      return environment.onAuthRefreshRecovered;
    case 'deletion':
      return environment.onConnectionDeleted;
  }
}

/** The connection's override URL, else the environment's primary and secondary URLs. */
export function webhookTargets(environment: EnvironmentEntity, connection: ConnectionEntity): string[] {
  if (connection.webhookUrlOverride) return [connection.webhookUrlOverride];
  return [environment.webhookPrimaryUrl, environment.webhookSecondaryUrl].filter((url): url is string => Boolean(url));
}

/** The event body of API.md §5 (non-secret by construction). */
export function connectionEvent(input: ConnectionEventInput): WebhookEvent {
  const { connection, integration, environment } = input;
  const common = {
    from: 'nango' as const,
    connectionId: connection.connectionId,
    providerConfigKey: integration.uniqueKey,
    authMode: input.authMode,
    provider: integration.provider,
    environment: environment.name,
    tags: connection.tags,
    endUser: endUserOf(connection),
  };
  if (input.kind === 'deletion') return { ...common, type: 'connection', operation: 'deletion', success: true };
  if (input.kind === 'override_failed') {
    return { ...common, type: 'auth', operation: 'override', success: false, error: input.error ?? { type: 'authorization_failed', description: 'The reconnection failed' } };
  }
  const operation = input.kind === 'creation' || input.kind === 'override' ? input.kind : 'refresh';
  if (input.kind === 'refresh_failed') {
    return { ...common, type: 'auth', operation, success: false, error: input.error ?? { type: 'refresh_failed', description: 'The credentials could not be refreshed' } };
  }
  return { ...common, type: 'auth', operation, success: true };
}

function endUserOf(connection: ConnectionEntity): { endUserId: string; endUserEmail?: string; organizationId?: string; tags: Record<string, string> } | undefined {
  const endUser = connection.endUser as { id?: unknown; email?: unknown; organization?: { id?: unknown } } | null;
  if (!endUser || typeof endUser.id !== 'string') return undefined;
  return {
    endUserId: endUser.id,
    ...(typeof endUser.email === 'string' ? { endUserEmail: endUser.email } : {}),
    ...(typeof endUser.organization?.id === 'string' ? { organizationId: endUser.organization.id } : {}),
    tags: connection.tags,
  };
}

/** Records the deliveries of an event (none when disabled or without a target); returns their ids. */
export async function recordConnectionEvent(db: DataSource, input: ConnectionEventInput): Promise<string[]> {
  if (!eventEnabled(input.environment, input.kind)) return [];
  const payload = connectionEvent(input) as unknown as Record<string, unknown>;
  const ids: string[] = [];
  for (const targetUrl of webhookTargets(input.environment, input.connection)) {
    // One message per target: each has its own id (the `webhook-id` header a receiver deduplicates on).
    const row = await db.getRepository(WebhookDeliveryEntity).save({
      eventId: randomUUID(),
      environmentId: input.environment.id,
      connectionRowId: input.connection.id,
      targetUrl,
      payload,
      status: 'pending',
    });
    ids.push(row.id);
  }
  return ids;
}
