/** The environment settings of API.md §6; keys are never part of it. */
import type { EnvironmentEntity } from '../../db/entities';

/** Renders an environment's settings. */
export function presentEnvironment(env: EnvironmentEntity): Record<string, unknown> {
  return {
    name: env.name,
    webhook: {
      primary_url: env.webhookPrimaryUrl,
      secondary_url: env.webhookSecondaryUrl,
      on_auth_creation: env.onAuthCreation,
      on_auth_refresh_error: env.onAuthRefreshError,
      on_auth_refresh_recovered: env.onAuthRefreshRecovered,
      on_connection_deleted: env.onConnectionDeleted,
    },
    callback_url: env.callbackUrl,
    connect_ui: { theme: env.connectUiTheme, primary_color: env.connectUiPrimaryColor, logo_url: env.connectUiLogoUrl },
    created_at: env.createdAt.toISOString(),
    updated_at: env.updatedAt.toISOString(),
  };
}
