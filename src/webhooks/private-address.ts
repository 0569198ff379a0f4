/** Whether a webhook target points into the private network (blocked unless ALLOW_PRIVATE_WEBHOOK_TARGETS). */
import { isIP } from 'node:net';

const PRIVATE_V4: ReadonlyArray<[number, number]> = [
  // [network as 32-bit int, prefix length]
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10/8 (RFC 1918)
  [0x64400000, 10], // 100.64/10 carrier-grade NAT (RFC 6598)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata lives here)
  [0xac100000, 12], // 172.16/12 (RFC 1918)
  [0xc0a80000, 16], // 192.168/16 (RFC 1918)
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

/** Loopback, RFC 1918, link-local, CGNAT, unspecified, IPv6 ULA/link-local, and v4-mapped forms of those. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4ToInt(ip);
    return PRIVATE_V4.some(([net, bits]) => (n >>> (32 - bits)) === (net >>> (32 - bits)));
  }
  if (isIP(ip) !== 6) return false;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return isPrivateAddress(mapped[1]!);
  // The URL parser writes `[::ffff:127.0.0.1]` as `[::ffff:7f00:1]`: the same v4-mapped address in hex.
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (mappedHex) {
    const [high, low] = [parseInt(mappedHex[1]!, 16), parseInt(mappedHex[2]!, 16)];
    return isPrivateAddress([high >> 8, high & 0xff, low >> 8, low & 0xff].join('.'));
  }
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/** Whether a URL's host is, by its spelling alone, private (`localhost`, a private IP literal). DNS is checked at delivery. */
export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host);
}
