/**
 * What the two GitHub App modes (APP, CUSTOM) share: the installation page the browser is sent to
 * (`<app_link>/installations/new?state=…`), the installation GitHub names on the way back
 * (`installation_id`, `setup_action`), and the app an integration holds (`app_id`, `app_link` and the
 * encrypted `private_key`).
 */
import { z } from 'zod';
import { CustodianError } from '../../src/errors';
import { ProviderCallError } from '../calls/provider-call-error';
import type { AppCredentials } from '../credentials';
import { interpolateUrl } from '../interpolate';
import type { AuthorizeInput, BeginInput, IntegrationClient, OutgoingRequest, Redirect } from './auth-mode';
import type { GithubApp } from './app-installation-token';
import { privateKeyProblem } from './github-app-jwt';
import { AuthorizationError } from './authorization-error';
import { withProxyHeaders } from './outgoing-request';
import { appendQuery } from './query-string';

/** GitHub installation ids are numbers; nothing else may reach the token URL's path. */
export const INSTALLATION_ID = /^[0-9]{1,20}$/;

/** The integration settings keys of a GitHub App. */
export const APP_SETTINGS = { appId: 'app_id', appLink: 'app_link', privateKey: 'private_key' } as const;

/** `app_id`, `app_link` and `private_key` of POST /integrations (Nango's names); the key must be able to sign. */
export const appCredentialsFields = {
  app_id: z.string().min(1).max(255),
  app_link: z.string().min(1).max(2048).refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL'),
  private_key: z.string().min(1).max(16_384).superRefine((value, ctx) => {
    const problem = privateKeyProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (paste the .pem file GitHub gave you)` });
  }),
};

/**
 * The installation page with the attempt's state, which GitHub hands back to the setup URL (APP) or the
 * callback URL (CUSTOM). The app link comes from the integration, never from the browser's `params[…]`.
 */
export function beginInstallation(input: BeginInput): Redirect {
  const appLink = input.client.custom[APP_SETTINGS.appLink];
  if (!appLink) throw new CustodianError('integration_missing_app', 'The integration has no GitHub App app_link');
  if (input.entry.authorization_url === undefined) throw new CustodianError('missing_authorization_url', 'The provider has no authorization_url');
  const connectionConfig = { ...input.connectionConfig, appPublicLink: appLink };
  const url = interpolateUrl(input.entry.authorization_url, { entry: input.entry, connectionConfig });
  return { url: appendQuery(url, new Map([['state', input.state]])), attemptSecrets: {}, connectionConfig: { appPublicLink: appLink } };
}

/**
 * The installation id GitHub sent back, checked. `setup_action=request` means an organisation owner must
 * still approve the installation: there is nothing to mint a token for yet.
 */
export function receivedInstallationId(received: Readonly<Record<string, unknown>>): string {
  const id = received['installation_id'];
  if (typeof id === 'string' && INSTALLATION_ID.test(id)) return id;
  if (id !== undefined) throw new AuthorizationError('app_installation_missing', 'The callback\'s installation_id is not a GitHub installation id');
  const pending = received['setup_action'] === 'request' ? ': the installation awaits an organisation owner\'s approval' : '';
  throw new AuthorizationError('app_installation_missing', `The callback carried no installation_id${pending}`);
}

/** The integration's GitHub App; its absence is a permanent refusal (nothing to retry until the integration is fixed). */
export function githubAppOf(client: IntegrationClient): GithubApp {
  const appId = client.custom[APP_SETTINGS.appId];
  const privateKey = client.custom[APP_SETTINGS.privateKey];
  if (!appId || !privateKey) throw new ProviderCallError('integration_missing_app', 'permanent', 'The integration has no GitHub App app_id and private_key');
  return { appId, privateKey };
}

/** The connection config an installation gives a connection (Nango's keys). */
export function installationConfig(client: IntegrationClient, credentials: AppCredentials): Record<string, string> {
  return { installation_id: credentials.installation_id, ...(client.custom[APP_SETTINGS.appId] ? { app_id: client.custom[APP_SETTINGS.appId] } : {}) };
}

/** An imported installation before its first token: expired at once, so the import's check mints one. */
export function unmintedApp(installationId: string, now: Date): AppCredentials {
  return { type: 'APP', access_token: '', expires_at: now.toISOString(), raw: {}, installation_id: installationId };
}

/** The app's settings as `include=credentials` shows them: the private key never. */
export function presentApp(client: IntegrationClient): Record<string, unknown> {
  return { app_id: client.custom[APP_SETTINGS.appId] ?? null, app_link: client.custom[APP_SETTINGS.appLink] ?? null, private_key: null };
}

/** The request with an installation token as bearer, unless the entry's `proxy.headers` name their own authorization. */
export function withBearer(request: OutgoingRequest, input: Pick<AuthorizeInput, 'entry' | 'connectionConfig'>, token: string): OutgoingRequest {
  return withProxyHeaders(request, input.entry, { credentials: { accessToken: token, access_token: token }, connectionConfig: input.connectionConfig }, { authorization: `Bearer ${token}` });
}
