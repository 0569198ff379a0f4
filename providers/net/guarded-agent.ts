/**
 * An undici Agent that connects only to public addresses: every hostname is resolved inside the connect
 * step, all its addresses are checked, and the socket goes to the address that was checked. A DNS server
 * that answers differently the second time (DNS rebinding) cannot slip a private address in between.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isPrivateAddress, isPrivateHostname } from './private-address';

/** Resolves a hostname to all its addresses. */
export type HostLookup = (hostname: string) => Promise<string[]>;

/** The system error code of a refused private target (what a caller sees as `error.cause.code`). */
export const PRIVATE_TARGET_CODE = 'EPRIVATETARGET';

/** Thrown (as a fetch error's cause) when a host is, or resolves to, a private address. */
export class PrivateTargetError extends Error {
  readonly code = PRIVATE_TARGET_CODE;
  constructor() {
    super('private network target not allowed');
    this.name = 'PrivateTargetError';
  }
}

/** node:dns lookup with `all: true`, in the resolver's own order. */
export async function systemLookup(hostname: string): Promise<string[]> {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map((a) => a.address);
}

/** Resolves a host and refuses it when its spelling or any of its addresses is private; resolves with the addresses. */
export async function publicAddresses(hostname: string, lookup: HostLookup = systemLookup): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isPrivateHostname(host)) throw new PrivateTargetError();
  if (isIP(host) !== 0) return [host];
  const addresses = await lookup(host);
  if (addresses.length === 0) throw Object.assign(new Error(`no address for host`), { code: 'ENOTFOUND' });
  if (addresses.some((address) => isPrivateAddress(address))) throw new PrivateTargetError();
  return addresses;
}

/** A `net.connect` lookup that answers only with checked public addresses. */
export function pinnedLookup(lookup: HostLookup = systemLookup): LookupFunction {
  return (hostname, options, callback) => {
    publicAddresses(hostname, lookup).then(
      (addresses) => {
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) (callback as unknown as (e: null, a: typeof entries) => void)(null, entries);
        else callback(null, entries[0]!.address, entries[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** An Agent whose connections go only to public addresses (IP literals are checked too: net.connect skips lookup for them). */
export function createGuardedAgent(lookup: HostLookup = systemLookup): Agent {
  const connector = buildConnector({ lookup: pinnedLookup(lookup) });
  return new Agent({
    connect: (options, callback) => {
      if (isPrivateHostname(options.hostname)) {
        callback(new PrivateTargetError(), null);
        return;
      }
      connector(options, callback);
    },
  });
}

let shared: Agent | undefined;

/** The process-wide guarded Agent over the system resolver. */
export function guardedAgent(): Agent {
  shared ??= createGuardedAgent();
  return shared;
}

/** Whether a fetch error was a refused private target. */
export function isPrivateTargetError(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as NodeJS.ErrnoException).code === PRIVATE_TARGET_CODE) return true;
  }
  return false;
}
