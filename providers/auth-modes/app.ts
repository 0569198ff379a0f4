/**
 * APP: a GitHub App installation. The browser goes to the app's installation page; GitHub sends it
 * back to the app's setup URL (`/app-auth/connect`) with `installation_id`; the connection then holds
 * an installation token minted with the app's JWT, and mints another before each one's hour is up.
 *
 * GitHub does not sign the setup URL's `installation_id`: a browser can claim any installation of the
 * app. GitHub's advice is to authorize the user as well, which is what CUSTOM (github-app-oauth) does.
 */
import { z } from 'zod';
import { CustodianError } from '../../src/errors';
import type { ProviderEntry } from '../catalog-schema';
import type { AppCredentials } from '../credentials';
import type { AuthModeStrategy, CallContext, CompleteInput, IntegrationClient, Obtained, RenewInput, RenewResult } from './auth-mode';
import {
  APP_SETTINGS,
  appCredentialsFields,
  beginInstallation,
  githubAppOf,
  installationConfig,
  INSTALLATION_ID,
  presentApp,
  receivedInstallationId,
  unmintedApp,
  withBearer,
} from './app-installation';
import { mintInstallationToken } from './app-installation-token';
import { dateOf, secretStrings } from './import-fields';

const importSchema = z.object({ type: z.literal('APP'), app_id: z.string().min(1).max(255), installation_id: z.string().regex(INSTALLATION_ID, 'must be a GitHub installation id') });
const integrationSchema = z.strictObject({ type: z.literal('APP'), ...appCredentialsFields });

/** The APP strategy. */
export const app: AuthModeStrategy<AppCredentials> = {
  authMode: 'APP',
  connect: { kind: 'redirect', callbackRoutes: ['/app-auth/connect'] },
  completing: 'minting an installation token',
  renewsOnAppJwtRefresh: true,
  begin: async (input) => beginInstallation(input),
  complete,
  integrationCredentials: {
    schema: integrationSchema,
    toSettings: (credentials) => {
      const { app_id: appId, app_link: appLink, private_key: privateKey } = credentials as z.output<typeof integrationSchema>;
      return { clientId: null, clientSecret: null, custom: { [APP_SETTINGS.appId]: appId, [APP_SETTINGS.appLink]: appLink }, customSecrets: { [APP_SETTINGS.privateKey]: privateKey } };
    },
    present: (client) => ({ type: 'APP', ...presentApp(client) }),
  },
  importSchema,
  fromImport: (body, now) => unmintedApp(String(body.installation_id), now),
  // An import names an installation, not a token: the check mints the first one (and proves the installation exists).
  checksImports: true,
  upkeep: () => ({ kind: 'mint', beforeExpiry: true }),
  renew,
  expiresAt: (credentials) => expiryOf(credentials),
  authorize: (request, input) => withBearer(request, input, input.credentials.access_token),
  secretsOf: (credentials) => appSecrets(credentials),
};

async function complete(input: CompleteInput, call: CallContext): Promise<Obtained<AppCredentials>> {
  const installationId = receivedInstallationId(input.received);
  const credentials = await mintApp(input, installationId, call);
  return { credentials, expiresAt: expiryOf(credentials), connectionConfig: installationConfig(input.client, credentials) };
}

async function renew(input: RenewInput<AppCredentials>, call: CallContext): Promise<RenewResult<AppCredentials>> {
  const credentials = await mintApp(input, input.credentials.installation_id, call);
  return { kind: 'renewed', credentials, expiresAt: expiryOf(credentials), connectionConfig: installationConfig(input.client, credentials) };
}

/** Mints an installation token at the entry's `token_url`. */
export function mintApp(
  input: { entry: ProviderEntry; client: IntegrationClient; connectionConfig: Readonly<Record<string, unknown>> },
  installationId: string,
  call: CallContext,
  tokenUrl: string | undefined = input.entry.token_url,
): Promise<AppCredentials> {
  if (tokenUrl === undefined) throw new CustodianError('missing_token_url', 'The provider has no installation token URL');
  return mintInstallationToken({ entry: input.entry, tokenUrl, app: githubAppOf(input.client), installationId, connectionConfig: input.connectionConfig }, call);
}

/** When an installation token stops working. */
export function expiryOf(credentials: AppCredentials): Date | null {
  return dateOf(credentials.expires_at);
}

/** The token and the JWT it was minted with. */
export function appSecrets(credentials: AppCredentials): string[] {
  return secretStrings(credentials.access_token, credentials.jwtToken);
}
