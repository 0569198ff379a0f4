/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a server another process will bind.
 *
 * Chosen below the kernel's ephemeral range, so that no outgoing connection (a PostgreSQL client, an HTTP
 * request, another test's listen(0)) can take it between this check and the other process's bind; a port
 * asked for with listen(0) comes from that range, and CI once lost the Temporal dev server's port that way.
 * Ports handed out by this process are not handed out again.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FALLBACK_EPHEMERAL_START = 32_768;
const LOWEST = 10_000;
const given = new Set<number>();

function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : FALLBACK_EPHEMERAL_START;
  } catch {
    return FALLBACK_EPHEMERAL_START;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  const top = ephemeralStart();
  if (top - LOWEST < 1_000) return kernelPort();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (given.has(port)) continue;
    if (await canBind(port)) {
      given.add(port);
      return port;
    }
  }
  return kernelPort();
}
