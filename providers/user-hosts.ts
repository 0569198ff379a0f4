/**
 * Hosts an end user chooses: the host of an entry URL whose host, port or base comes from a
 * `connection_config` placeholder (`https://${connectionConfig.hostname}/…`). Fixed hosts the operator
 * wrote in the catalog are not among them.
 */
import type { ProviderEntry } from './catalog-schema';
import type { DeepReadonly } from './deep-freeze';
import { interpolateUrl } from './interpolate';
import { lookupValue } from './placeholder-values';
import { parseTemplate, urlPositions } from './template';

type UrlEntry = Pick<ProviderEntry, 'connection_config' | 'authorization_url' | 'token_url' | 'refresh_url' | 'request_url'> & {
  readonly proxy?: DeepReadonly<{ base_url?: string }>;
};

/** One user-chosen host: the connection-config keys that chose it and the host as the URL parser reads it (absent when the URL does not build). */
export interface UserChosenHost {
  readonly keys: readonly string[];
  readonly hostname?: string;
}

/** Whether the alternative of `template` that `connectionConfig` selects takes its host from connection config. */
export function hostKeysOf(template: string, connectionConfig: Readonly<Record<string, unknown>>): string[] | undefined {
  const sources = { connectionConfig };
  for (const parts of parseTemplate(template).alternatives) {
    const placeholders = parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
    if (placeholders.some((placeholder) => lookupValue(placeholder, sources) === undefined)) continue;
    const positions = urlPositions(parts);
    const keys = placeholders.filter((_, index) => ['host', 'base', 'port'].includes(positions[index] ?? '')).map((placeholder) => placeholder.key);
    return keys.length > 0 ? keys : undefined;
  }
  return undefined;
}

/** Every user-chosen host among the entry's URLs; a URL that does not build has no `hostname` (where it is built, it is refused). */
export function userChosenHosts(entry: UrlEntry, connectionConfig: Readonly<Record<string, unknown>>): UserChosenHost[] {
  const templates = [entry.authorization_url, entry.token_url, entry.refresh_url, entry.request_url, entry.proxy?.base_url];
  const hosts: UserChosenHost[] = [];
  for (const template of templates) {
    if (template === undefined) continue;
    const keys = hostKeysOf(template, connectionConfig);
    if (keys) hosts.push({ keys, hostname: hostnameOf(template, entry, connectionConfig) });
  }
  return hosts;
}

function hostnameOf(template: string, entry: UrlEntry, connectionConfig: Readonly<Record<string, unknown>>): string | undefined {
  try {
    return new URL(interpolateUrl(template, { entry, connectionConfig })).hostname;
  } catch {
    return undefined;
  }
}
