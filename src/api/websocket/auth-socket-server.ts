/**
 * The browser's WebSocket (API.md §4) on the API's HTTP server: each socket gets a fresh
 * `ws_client_id` in a `connection_ack` and is kept by that id until it closes, so the outcome of the
 * attempt started with that id can be sent to it. Nothing the browser sends is read.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { catalogueEntry, type ErrorCode } from '../../error-catalogue';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { clientAddress, FixedWindowLimiter, type RateLimit } from '../rate-limit';
import { connectionAck, type AuthSocketMessage } from './outcome-message';

/** The `websocketsPath` the connect session advertises. */
export const WEBSOCKETS_PATH = '/';
/** Protocol-level pings (browsers answer them by themselves) keep proxies from dropping idle sockets and find dead ones. */
const PING_INTERVAL_MS = 30_000;

/** What one process lets browsers open (config: RATE_LIMIT_WEBSOCKET, WEBSOCKET_*, TRUST_PROXY). */
export interface AuthSocketLimits {
  /** Upgrades per client address. */
  upgradeRate: RateLimit;
  /** Open sockets per process, and per client address. */
  maxConnections: number;
  maxPerIp: number;
  /** `Origin`s that may connect; undefined: any. */
  allowedOrigins?: readonly string[];
  trustProxy: boolean;
}

/** Defaults of the limits (the config's defaults), for callers that give none. */
export const DEFAULT_SOCKET_LIMITS: AuthSocketLimits = Object.freeze({
  upgradeRate: { limit: 60, windowMs: 60_000 },
  maxConnections: 10_000,
  maxPerIp: 50,
  trustProxy: false,
});

/** The limits the configuration sets. */
export function socketLimitsOf(config: Config): AuthSocketLimits {
  return {
    upgradeRate: config.rateLimits.websocketUpgrade,
    maxConnections: config.websocket.maxConnections,
    maxPerIp: config.websocket.maxPerIp,
    allowedOrigins: config.websocket.allowedOrigins,
    trustProxy: config.trustProxy,
  };
}

/** Seconds a browser refused for the connection caps is told to wait. */
const CAP_RETRY_AFTER_SECONDS = 30;

export interface AuthSocketServerOptions {
  logger: Logger;
  path?: string;
  pingIntervalMs?: number;
  limits?: AuthSocketLimits;
}

/** Ends an upgrade request with a JSON error answer (the socket was never accepted). */
function refuse(socket: Duplex, status: string, code: ErrorCode, retryAfterSeconds?: number): void {
  const body = JSON.stringify({ error: { code, message: catalogueEntry(code).message } });
  const retryAfter = retryAfterSeconds === undefined ? '' : `Retry-After: ${retryAfterSeconds}\r\n`;
  socket.end(`HTTP/1.1 ${status}\r\n${retryAfter}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export class AuthSocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly sockets = new Map<string, WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly servers = new Set<Server>();
  private readonly path: string;
  private readonly pinger: NodeJS.Timeout;
  private readonly limits: AuthSocketLimits;
  private readonly upgrades: FixedWindowLimiter;
  /** Open (or opening) sockets per client address. */
  private readonly perAddress = new Map<string, number>();
  /** Upgraded (or upgrading) sockets not yet closed. */
  private total = 0;
  private closed = false;

  constructor(private readonly options: AuthSocketServerOptions) {
    this.path = options.path ?? WEBSOCKETS_PATH;
    this.limits = options.limits ?? DEFAULT_SOCKET_LIMITS;
    this.upgrades = new FixedWindowLimiter(this.limits.upgradeRate);
    this.pinger = setInterval(() => this.ping(), options.pingIntervalMs ?? PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** Takes the HTTP server's upgrade requests (before it listens). */
  attach(server: Server): void {
    this.servers.add(server);
    server.on('upgrade', this.onUpgrade);
  }

  /** How many sockets are open here. */
  get size(): number {
    return this.sockets.size;
  }

  /** Whether the socket with this id is open on this instance. */
  holds(wsClientId: string): boolean {
    return this.sockets.get(wsClientId)?.readyState === WebSocket.OPEN;
  }

  /** Sends to the socket with this id; false when it is not open here. */
  send(wsClientId: string, message: AuthSocketMessage): boolean {
    const socket = this.sockets.get(wsClientId);
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /** The ids of the open sockets. */
  clientIds(): string[] {
    return [...this.sockets.keys()];
  }

  /** Ends every socket and stops taking upgrades. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    for (const server of this.servers) server.off('upgrade', this.onUpgrade);
    this.servers.clear();
    for (const socket of this.sockets.values()) socket.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let pathname: string;
    try {
      pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (this.closed || pathname !== this.path) {
      socket.end(`HTTP/1.1 ${this.closed ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const origin = request.headers.origin;
    if (this.limits.allowedOrigins && (origin === undefined || !this.limits.allowedOrigins.includes(origin))) {
      refuse(socket, '403 Forbidden', 'origin_not_allowed');
      return;
    }
    const address = clientAddress(request, this.limits.trustProxy);
    const wait = this.upgrades.take(address);
    if (wait !== undefined) {
      refuse(socket, '429 Too Many Requests', 'rate_limited', wait);
      return;
    }
    const open = this.perAddress.get(address) ?? 0;
    if (this.total >= this.limits.maxConnections || open >= this.limits.maxPerIp) {
      refuse(socket, '429 Too Many Requests', 'rate_limited', CAP_RETRY_AFTER_SECONDS);
      return;
    }
    // Counted from the upgrade until the TCP socket closes: handshakes in flight count against the caps too.
    this.perAddress.set(address, open + 1);
    this.total += 1;
    socket.once('close', () => {
      this.total -= 1;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  };

  private accept(ws: WebSocket): void {
    const wsClientId = randomUUID();
    this.sockets.set(wsClientId, ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('close', () => {
      if (this.sockets.get(wsClientId) === ws) this.sockets.delete(wsClientId);
    });
    ws.on('error', (error) => this.options.logger.debug({ err: error }, 'browser websocket error'));
    ws.send(JSON.stringify(connectionAck(wsClientId)));
  }

  private ping(): void {
    for (const ws of this.sockets.values()) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}
