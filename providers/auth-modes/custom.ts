/**
 * CUSTOM: a GitHub App installed by a user who also authorizes it (github-app-oauth). The browser goes
 * to the app's installation page; with "Request user authorization (OAuth) during installation" set,
 * GitHub sends it back to the OAuth callback with `code`, `installation_id` and `setup_action`. The
 * connection holds both halves (Nango's `CombinedOauth2AppCredentials`): the installation token (`app`,
 * minted again every hour) and the user's token (`user`, refreshed with its rotating refresh token).
 *
 * The callback's `installation_id` is checked against the installations GitHub lists for the user
 * (`GET /user/installations`): a browser cannot claim someone else's installation. An update without a
 * code (`setup_action=update`) has no user to check it with and is taken as GitHub sent it, as Nango does.
 *
 * Token URLs: `token_url` is the user's (OAuth 2.0), `app_token_url` the installation's (Nango's
 * `token_url: {OAUTH2, APP}` map, split at load).
 */
import { z } from 'zod';
import { ProviderCallError } from '../calls/provider-call-error';
import type { ProviderEntry } from '../catalog-schema';
import type { AppCredentials, CustomCredentials, OAuth2Credentials, TokenSet } from '../credentials';
import type { AuthModeStrategy, CallContext, CompleteInput, Obtained, RenewInput, RenewResult } from './auth-mode';
import { APP_SETTINGS, appCredentialsFields, beginInstallation, installationConfig, INSTALLATION_ID, presentApp, receivedInstallationId, unmintedApp, withBearer } from './app-installation';
import { appSecrets, expiryOf, mintApp } from './app';
import { secretStrings } from './import-fields';
import { AuthorizationError, requireClientForFlow, textOf } from './authorization-error';
import { requireClientForRenewal } from './oauth2';
import { exchangeAuthorizationCode, refreshAccessToken } from './oauth2-token-request';
import { userCanAccessInstallation } from './user-installations';

/**
 * The user's token is refreshed with the installation's when it would expire before the next
 * installation token does (plus this), so one upkeep step keeps both valid and a rotating refresh token
 * is spent no more often than it must be.
 */
const USER_REFRESH_SLACK_MS = 15 * 60_000;

const importSchema = z.object({ type: z.literal('CUSTOM'), app_id: z.string().min(1).max(255), installation_id: z.string().regex(INSTALLATION_ID, 'must be a GitHub installation id') });
const integrationSchema = z.strictObject({
  type: z.literal('CUSTOM'),
  client_id: z.string().min(1).max(2048),
  client_secret: z.string().min(1).max(4096),
  ...appCredentialsFields,
});

/** The CUSTOM strategy. */
export const custom: AuthModeStrategy<CustomCredentials> = {
  authMode: 'CUSTOM',
  connect: { kind: 'redirect' },
  completing: 'exchanging the code and minting an installation token',
  renewsOnAppJwtRefresh: true,
  begin: async (input) => beginInstallation(input),
  complete,
  integrationCredentials: {
    schema: integrationSchema,
    toSettings: (credentials) => {
      const body = credentials as z.output<typeof integrationSchema>;
      return {
        clientId: body.client_id,
        clientSecret: body.client_secret,
        custom: { [APP_SETTINGS.appId]: body.app_id, [APP_SETTINGS.appLink]: body.app_link },
        customSecrets: { [APP_SETTINGS.privateKey]: body.private_key },
      };
    },
    present: (client) => ({ type: 'CUSTOM', client_id: client.clientId, client_secret: client.clientSecret, ...presentApp(client) }),
  },
  importSchema,
  fromImport: (body, now) => ({ type: 'CUSTOM', app: unmintedApp(String(body.installation_id), now), user: null, raw: {} }),
  // As for APP: an import names an installation; the check mints its first token.
  checksImports: true,
  // A user token with a refresh token spends a single-use secret on renewal; the installation token alone is only minted.
  upkeep: (_entry, credentials) => ({ kind: credentials.user?.refresh_token ? 'refresh' : 'mint', beforeExpiry: true }),
  renew,
  expiresAt,
  // The installation token acts for the app on the installation's repositories (what most API calls need).
  authorize: (request, input) => withBearer(request, input, input.credentials.app.access_token),
  secretsOf: (credentials) => [...appSecrets(credentials.app), ...secretStrings(credentials.user?.access_token, credentials.user?.refresh_token)],
};

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<CustomCredentials>> {
  const { received } = input;
  const denied = textOf(received['error']);
  if (denied) throw new AuthorizationError('authorization_denied', `GitHub answered ${denied.slice(0, 64)}`);
  const installationId = receivedInstallationId(received);
  const code = textOf(received['code']);
  // Without a code GitHub only reports a change to an installation someone authorized before (`setup_action=update`).
  if (code === undefined && received['setup_action'] !== 'update') throw new AuthorizationError('missing_code', 'The callback carried no authorization code');
  // Minted first: it can be tried again, the code cannot.
  const app = await mintApp(input, installationId, call, input.entry.app_token_url);
  const user = code === undefined ? null : userCredentials(await exchangeAuthorizationCode({ ...userTokenRequest(input, requireClientForFlow(input.client), call), code, redirectUri: input.redirectUri }));
  if (user && !(await userCanAccessInstallation({ entry: input.entry, userToken: user.access_token, installationId, connectionConfig: input.connectionConfig }, call))) {
    throw new AuthorizationError('app_installation_not_accessible', `GitHub does not list installation ${installationId} for the user who authorized (asked at the entry's proxy.base_url)`);
  }
  const credentials: CustomCredentials = { type: 'CUSTOM', app, user, raw: app.raw };
  return { credentials, expiresAt: expiresAt(credentials), connectionConfig: installationConfig(input.client, app) };
}

/**
 * Mints a new installation token first (repeatable), then refreshes the user's token if it is due (spends
 * its refresh token), so a failed mint never burns a rotated refresh token. A user token whose refresh
 * GitHub refuses leaves `user: null`, as Nango does: the installation half still works.
 */
async function renew(input: RenewInput<CustomCredentials>, call: CallContext): Promise<RenewResult<CustomCredentials>> {
  const { credentials } = input;
  const app = await mintApp(input, credentials.app.installation_id, call, input.entry.app_token_url);
  const user = await renewedUser(input, app, call);
  const renewed: CustomCredentials = { type: 'CUSTOM', app, user, raw: app.raw };
  return { kind: 'renewed', credentials: renewed, expiresAt: expiresAt(renewed), connectionConfig: installationConfig(input.client, app) };
}

async function renewedUser(input: RenewInput<CustomCredentials>, app: AppCredentials, call: CallContext): Promise<OAuth2Credentials | null> {
  const user = input.credentials.user;
  if (!user?.refresh_token || !userDue(user, app)) return user;
  try {
    const tokens = await refreshAccessToken({ ...userTokenRequest(input, requireClientForRenewal(input.client), call), refreshToken: user.refresh_token });
    // GitHub rotates refresh tokens; one that does not come back stays the one we have.
    return { ...userCredentials(tokens), refresh_token: tokens.refreshToken ?? user.refresh_token };
  } catch (error) {
    if (error instanceof ProviderCallError && error.kind === 'permanent') return null;
    throw error;
  }
}

function userDue(user: OAuth2Credentials, app: AppCredentials): boolean {
  if (!user.expires_at) return false;
  const nextMint = expiryOf(app)?.getTime() ?? 0;
  return new Date(user.expires_at).getTime() <= nextMint + USER_REFRESH_SLACK_MS;
}

/** The first of the installation token's expiry and, when it can be refreshed, the user token's. */
function expiresAt(credentials: CustomCredentials): Date | null {
  const expiries = [expiryOf(credentials.app), credentials.user?.refresh_token && credentials.user.expires_at ? new Date(credentials.user.expires_at) : null];
  const known = expiries.filter((date): date is Date => date !== null);
  return known.length === 0 ? null : new Date(Math.min(...known.map((date) => date.getTime())));
}

/** What the user token endpoint (the entry's OAuth 2.0 `token_url`) is called with. */
function userTokenRequest(input: { entry: ProviderEntry; connectionConfig: Readonly<Record<string, unknown>> }, client: { clientId: string; clientSecret: string }, call: CallContext) {
  return { entry: input.entry, ...client, connectionConfig: input.connectionConfig, ...call };
}

function userCredentials(tokens: TokenSet): OAuth2Credentials {
  return { type: 'OAUTH2', access_token: tokens.accessToken, refresh_token: tokens.refreshToken, expires_at: tokens.expiresAt?.toISOString(), raw: tokens.raw };
}
