/** Whether an address or host points into the private network (blocked unless ALLOW_PRIVATE_NETWORK_TARGETS). */
import { isIP } from 'node:net';

const BLOCKED_V4: ReadonlyArray<[number, number]> = [
  // [network as 32-bit int, prefix length]
  [0x00000000, 8], // 0.0.0.0/8 "this network" (0.0.0.0 reaches the local host on Linux)
  [0x0a000000, 8], // 10/8 (RFC 1918)
  [0x64400000, 10], // 100.64/10 carrier-grade NAT (RFC 6598)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata lives here)
  [0xac100000, 12], // 172.16/12 (RFC 1918)
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0a80000, 16], // 192.168/16 (RFC 1918)
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved, broadcast included
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad included). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function embeddedV4(groups: readonly number[]): string {
  return intToV4(((groups[6]! << 16) | groups[7]!) >>> 0);
}

function isBlockedV6(groups: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = groups;
  const zeroHigh = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  // ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it to the IPv4 address).
  if (zeroHigh && g5 === 0) return true;
  // v4-mapped ::ffff:a.b.c.d: judged as the IPv4 address it stands for.
  if (zeroHigh && g5 === 0xffff) return isPrivateAddress(embeddedV4(groups));
  // NAT64 64:ff9b::/96 (and the local-use 64:ff9b:1::/48): a gateway translates them to any IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b) return true;
  if (g0 === 0x2002) return true; // 6to4 2002::/16 embeds an IPv4 address, private ones included
  if ((g0 & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((g0 & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

/**
 * Loopback, RFC 1918, link-local, CGNAT, unspecified, multicast and reserved IPv4; IPv6 loopback, unspecified,
 * ULA, link-local, site-local, multicast, and every IPv6 form that embeds an IPv4 address (mapped, compatible,
 * NAT64, 6to4).
 */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4ToInt(ip);
    return BLOCKED_V4.some(([net, bits]) => n >>> (32 - bits) === net >>> (32 - bits));
  }
  if (isIP(ip.replace(/%.*$/, '')) !== 6) return false;
  return isBlockedV6(v6Groups(ip));
}

/** Whether a URL's host is, by its spelling alone, private (`localhost`, a private IP literal). DNS is checked when connecting. */
export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host);
}
