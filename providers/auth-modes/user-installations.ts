/**
 * Whether the user who authorized a GitHub App can access an installation of it: GitHub lists them at
 * `GET /user/installations` for the user's token (https://docs.github.com/en/rest/apps/installations).
 * The `installation_id` on a callback is the browser's word; this is GitHub's.
 */
import type { ProviderEntry } from '../catalog-schema';
import { callProvider } from '../calls/call-provider';
import { interpolateUrl } from '../interpolate';
import type { CallContext, ConnectionConfig } from './auth-mode';

const PER_PAGE = 100;
// A user sees few installations of one app; past this many pages the installation counts as not found.
const MAX_PAGES = 10;

/** Input of {@link userCanAccessInstallation}. */
export interface UserInstallationInput {
  readonly entry: ProviderEntry;
  readonly userToken: string;
  readonly installationId: string;
  readonly connectionConfig: ConnectionConfig;
}

/** Reads the user's installations page by page until `installationId` is among them. */
export async function userCanAccessInstallation(input: UserInstallationInput, call: CallContext): Promise<boolean> {
  const baseUrl = input.entry.proxy?.base_url;
  if (baseUrl === undefined) return false;
  const url = interpolateUrl(`${baseUrl.replace(/\/+$/, '')}/user/installations`, { entry: input.entry, connectionConfig: input.connectionConfig });
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await callProvider({
      provider: input.entry.display_name,
      endpoint: 'user installations endpoint',
      url: `${url}?per_page=${PER_PAGE}&page=${page}`,
      method: 'GET',
      headers: { authorization: `Bearer ${input.userToken}`, accept: 'application/vnd.github+json' },
      timeoutMs: call.timeoutMs,
      secrets: [input.userToken],
      now: call.now,
      fetch: call.fetch,
    });
    if (!answer.ok) throw answer.refused('provider_rejected');
    const installations = installationIdsOf(answer.body);
    if (installations === undefined) throw answer.unusable('provider_malformed_response', ' without an installations list');
    if (installations.includes(input.installationId)) return true;
    if (installations.length < PER_PAGE) return false;
  }
  return false;
}

function installationIdsOf(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { installations?: unknown };
    if (!Array.isArray(parsed.installations)) return undefined;
    return parsed.installations.map((installation: unknown) => String((installation as { id?: unknown } | null)?.id));
  } catch {
    return undefined;
  }
}
