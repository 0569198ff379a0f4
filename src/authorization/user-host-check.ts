/**
 * The flow-start check of hosts an end user chose through `params[...]`: none may be, by its spelling,
 * loopback, private, link-local or reserved (`localhost`, `10.1.2.3`, `169.254.169.254`, `[::1]`…).
 * Names that resolve to such addresses are caught when the request is sent (the guarded agent).
 */
import type { ProviderEntry } from '../../providers/catalog-schema';
import { userChosenHosts } from '../../providers/user-hosts';
import { ValidationError } from '../errors';
import { isPrivateHostname } from '../../providers/net/private-address';

/** Throws `private_network_target` (400) when a user-chosen host is private; does nothing when `allowPrivate`. */
export function refusePrivateUserHosts(entry: ProviderEntry, connectionConfig: Readonly<Record<string, unknown>>, allowPrivate: boolean): void {
  if (allowPrivate) return;
  // The raw values too: `[::1]` never builds a URL (brackets are no host label), yet it plainly means loopback.
  const isPrivate = (text: unknown) => typeof text === 'string' && isPrivateHostname(text);
  const blocked = userChosenHosts(entry, connectionConfig).filter((host) => isPrivate(host.hostname) || host.keys.some((key) => isPrivate(connectionConfig[key])));
  if (blocked.length === 0) return;
  const keys = [...new Set(blocked.flatMap((host) => host.keys))];
  throw new ValidationError('private_network_target', 'A connection configuration value points into the private network', {
    errors: keys.map((key) => ({ code: 'private_network_target', message: `${key} must name a public host`, path: ['params', key] })),
  });
}
