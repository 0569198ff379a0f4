/** What the Connect UI reads about its session: `GET /connect/session` (API.md §1, camelCase as Nango's). */
import type { EndUser } from '../../connections/connection-store';
import type { ConnectSessionEntity, EnvironmentEntity } from '../../db/entities';

/** Primary colour when the environment sets none: Nango's default Connect UI colour, so an unconfigured UI looks as users expect. */
export const DEFAULT_CONNECT_UI_PRIMARY_COLOR = '#00B2E3';
/** The WebSocket for OAuth results lives at the API's root path (API.md §4). */
const WEBSOCKETS_PATH = '/';
const THEMES = new Set(['light', 'dark', 'system']);

/** The session's token and link, as both create routes answer them. */
export function presentCreatedSession(token: string, session: ConnectSessionEntity, urls: { connectUrl: string; serverUrl: string }) {
  const query = new URLSearchParams({ session_token: token, apiURL: urls.serverUrl });
  return { token, connect_link: `${urls.connectUrl}/?${query.toString()}`, expires_at: session.expiresAt.toISOString() };
}

function presentEndUser(endUser: EndUser | null) {
  if (!endUser) return null;
  return {
    id: endUser.id,
    display_name: endUser.display_name ?? null,
    email: endUser.email ?? null,
    tags: endUser.tags ?? null,
    organization: endUser.organization ? { id: endUser.organization.id, display_name: endUser.organization.display_name ?? null } : null,
  };
}

function connectUISettings(environment: EnvironmentEntity) {
  const primary = environment.connectUiPrimaryColor ?? DEFAULT_CONNECT_UI_PRIMARY_COLOR;
  return {
    theme: { light: { primary }, dark: { primary } },
    defaultTheme: THEMES.has(environment.connectUiTheme) ? environment.connectUiTheme : 'system',
    showWatermark: false,
    // Ours: the environment's logo, shown at the top of the Connect UI (null when none is set).
    logoUrl: environment.connectUiLogoUrl,
  };
}

/** The session as the Connect UI reads it; optional keys are present only when the session sets them. */
export function presentConnectSession(session: ConnectSessionEntity, environment: EnvironmentEntity): Record<string, unknown> {
  return {
    endUser: presentEndUser(session.endUser as EndUser | null),
    connectUISettings: connectUISettings(environment),
    ...(session.allowedIntegrations ? { allowed_integrations: session.allowedIntegrations } : {}),
    ...(session.integrationsConfigDefaults ? { integrations_config_defaults: session.integrationsConfigDefaults } : {}),
    ...(session.connectionRowId ? { isReconnecting: true } : {}),
    websocketsPath: WEBSOCKETS_PATH,
  };
}
