/** The connection objects of API.md §2: the full one (with credentials) and the list item. */
import type { ConnectionEntity, IntegrationEntity } from '../../db/entities';
import { strategyOfCredentials } from '../../../providers/auth-modes';
import type { Credentials } from '../../connections/credentials';

/** Whether a key names a refresh token (`refresh_token`, `refreshToken`, `Refresh-Token`…). */
function isRefreshTokenKey(key: string): boolean {
  return key.replace(/[^a-zA-Z]/g, '').toLowerCase() === 'refreshtoken';
}

/** Removes every refresh-token key, at any depth. */
export function stripRefreshTokens(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripRefreshTokens);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !isRefreshTokenKey(key)).map(([key, inner]) => [key, stripRefreshTokens(inner)]));
}

export interface FullConnectionOptions {
  integration: IntegrationEntity;
  /** Decrypted credentials, or null to render `{}` (invalid connections in error payloads). */
  credentials: Credentials | null;
  /** `refresh_token=true`: keep refresh tokens. */
  withRefreshToken: boolean;
  /** Id of the operation-log line explaining an auth error, when the connection is invalid. */
  errorLogId?: string | null;
}

function errorsOf(row: ConnectionEntity, logId: string | null | undefined): Array<{ type: 'auth'; log_id: string | null }> {
  return row.status === 'invalid' ? [{ type: 'auth', log_id: logId ?? null }] : [];
}

/** The full connection (GET one, POST import). */
export function presentConnection(row: ConnectionEntity, options: FullConnectionOptions): Record<string, unknown> {
  const credentials = options.credentials === null ? {} : asPresented(options.credentials);
  const connectionConfig = row.connectionConfig;
  return {
    id: row.id,
    connection_id: row.connectionId,
    provider_config_key: options.integration.uniqueKey,
    provider: options.integration.provider,
    errors: errorsOf(row, options.errorLogId),
    end_user: row.endUser,
    tags: row.tags,
    metadata: row.metadata,
    connection_config: options.withRefreshToken ? connectionConfig : stripRefreshTokens(connectionConfig),
    webhook_url_override: row.webhookUrlOverride,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    last_fetched_at: row.lastFetchedAt?.toISOString() ?? null,
    credentials: options.withRefreshToken ? credentials : stripRefreshTokens(credentials),
    status: row.status,
    credentials_expires_at: row.expiresAt?.toISOString() ?? null,
    last_refresh_success: row.lastRefreshSuccessAt?.toISOString() ?? null,
    last_refresh_failure: row.lastRefreshFailureAt?.toISOString() ?? null,
  };
}

/** One item of `GET /connections` (no credentials; `created`, not `created_at`). */
export function presentConnectionListItem(row: ConnectionEntity, integration: IntegrationEntity): Record<string, unknown> {
  return {
    id: row.id,
    connection_id: row.connectionId,
    provider_config_key: integration.uniqueKey,
    provider: integration.provider,
    errors: errorsOf(row, null),
    end_user: row.endUser,
    tags: row.tags,
    metadata: row.metadata,
    created: row.createdAt.toISOString(),
  };
}

/** The credentials as Nango's API shows them: a mode may answer another `type` (MCP: OAUTH2). */
function asPresented(credentials: Credentials): Record<string, unknown> {
  const { presentedType, concealed = [] } = strategyOfCredentials(credentials);
  const shown: Record<string, unknown> = Object.fromEntries(Object.entries(credentials).filter(([key]) => !concealed.includes(key)));
  return presentedType === undefined ? shown : { ...shown, type: presentedType };
}
