/**
 * A GitHub App installation access token: `POST <token URL>` (`/app/installations/{id}/access_tokens`)
 * with the app's JWT as bearer token. GitHub answers 201 `{token, expires_at, permissions,
 * repository_selection…}`; the token lives one hour. Minting again needs nothing but the app's key, so
 * this is both how an APP connection is made and how it is kept valid.
 */
import type { ProviderEntry } from '../catalog-schema';
import { callProvider, type ProviderAnswer } from '../calls/call-provider';
import type { AppCredentials } from '../credentials';
import { interpolateUrl } from '../interpolate';
import { hostKeysOf } from '../user-hosts';
import type { CallContext, ConnectionConfig } from './auth-mode';
import { signAppJwt } from './github-app-jwt';

/** The GitHub App an integration holds. */
export interface GithubApp {
  readonly appId: string;
  readonly privateKey: string;
}

/** Input of {@link mintInstallationToken}. */
export interface InstallationTokenInput {
  readonly entry: ProviderEntry;
  /** The token URL template (`${connectionConfig.installation_id}` in it). */
  readonly tokenUrl: string;
  readonly app: GithubApp;
  readonly installationId: string;
  readonly connectionConfig: ConnectionConfig;
}

// GitHub's REST API version the answers are read as (https://docs.github.com/en/rest/about-the-rest-api/api-versions).
const GITHUB_API_VERSION = '2022-11-28';
// A token that dies within this of being minted is no answer: renewing it would loop.
const SHORTEST_USABLE_LIFETIME_MS = 60_000;

/**
 * Mints an installation token. Its expiry is GitHub's `expires_at` measured against the answer's `Date`
 * (GitHub's clock) and laid on `call.now` (ours), so a skewed clock — or a workflow's — still renews it in time.
 */
export async function mintInstallationToken(input: InstallationTokenInput, call: CallContext): Promise<AppCredentials> {
  const connectionConfig = { ...input.connectionConfig, installation_id: input.installationId };
  // GitHub checks `iat` and `exp` against the real time, not against a workflow's clock.
  const jwt = signAppJwt({ appId: input.app.appId, privateKey: input.app.privateKey, now: new Date() });
  const answer = await callProvider({
    provider: input.entry.display_name,
    endpoint: 'installation token endpoint',
    url: interpolateUrl(input.tokenUrl, { entry: input.entry, connectionConfig }),
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION },
    timeoutMs: call.timeoutMs,
    refusePrivateTargets: call.refusePrivateUserHosts === true && hostKeysOf(input.tokenUrl, connectionConfig) !== undefined,
    secrets: [jwt],
    describeBody: describeGithubError,
    now: call.now,
    fetch: call.fetch,
  });
  return credentialsOf(answer, { jwt, installationId: input.installationId, now: call.now });
}

function credentialsOf(answer: ProviderAnswer, context: { jwt: string; installationId: string; now: Date }): AppCredentials {
  // 401: GitHub could not verify the JWT (wrong app id or key); 404: no such installation (uninstalled).
  if (answer.status === 401) throw answer.refused('invalid_client');
  if (answer.status === 404) throw answer.refused('app_installation_not_found');
  if (!answer.ok) throw answer.refused('provider_rejected');
  const raw = jsonObject(answer.body);
  const token = raw?.['token'];
  const expiresAt = typeof raw?.['expires_at'] === 'string' ? Date.parse(raw['expires_at']) : NaN;
  if (!raw || typeof token !== 'string' || token === '' || Number.isNaN(expiresAt)) {
    throw answer.unusable('provider_malformed_response', ' without a token and its expires_at');
  }
  const theirNow = Date.parse(answer.headers.get('date') ?? '');
  const lifetimeMs = expiresAt - (Number.isNaN(theirNow) ? Date.now() : theirNow);
  if (lifetimeMs < SHORTEST_USABLE_LIFETIME_MS) throw answer.unusable('provider_malformed_response', ' with a token that has already expired');
  return {
    type: 'APP',
    access_token: token,
    expires_at: new Date(context.now.getTime() + lifetimeMs).toISOString(),
    raw,
    jwtToken: context.jwt,
    installation_id: context.installationId,
  };
}

/** GitHub's error body `{message, documentation_url}`, as ` (message)`. */
function describeGithubError(body: string): string {
  const message = jsonObject(body)?.['message'];
  return typeof message === 'string' && message.trim() !== '' ? ` (${message.replace(/\s+/g, ' ').trim().slice(0, 200)})` : '';
}

function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
