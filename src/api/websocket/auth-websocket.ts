/**
 * The browser WebSocket of one API instance, put together: the socket server, the cross-instance
 * bus (PostgreSQL LISTEN/NOTIFY) and the delivery of an attempt's outcome to the socket that waits
 * for it, wherever the callback was processed.
 *
 * When the callback is processed here, the outcome goes to a socket held here at once, then the
 * attempt id is NOTIFYed for the other instances. Every instance (this one too) gets the NOTIFY; an
 * instance that already handled the attempt, or holds no socket at all, does nothing; otherwise it
 * reads the attempt and sends to the socket if it holds it. So a socket hears once.
 */
import type { Client } from '@temporalio/client';
import type { Server } from 'node:http';
import { In, type DataSource } from 'typeorm';
import type { Logger } from '../../logger';
import { AuthAttemptEntity } from '../../db/entities';
import { AuthOutcomeBus } from './auth-outcome-bus';
import { AuthSocketServer, type AuthSocketLimits } from './auth-socket-server';
import { attemptSocketId, readAttemptOutcome } from './attempt-outcome';
import { outcomeMessage } from './outcome-message';

/** What the callback route calls once an attempt's outcome is known. */
export interface AuthOutcomePublisher {
  /** Tells the attempt's socket, wherever it is. Never throws. */
  publish(attemptId: string): Promise<void>;
}

export interface AuthWebsocketOptions {
  db: DataSource;
  temporal?: Client;
  logger: Logger;
  /**
   * The database URL for the LISTEN connection. Absent: single-instance mode, outcomes are delivered
   * in-process only (the embedded PGlite behind pglite-socket does not route NOTIFY between connections).
   */
  listenUrl?: string;
  pingIntervalMs?: number;
  /** Caps and Origin check of the browser sockets (default: the config's defaults). */
  limits?: AuthSocketLimits;
}

/** How long an instance remembers it handled an attempt (the NOTIFY of its own callback comes back within moments). */
const HANDLED_TTL_MS = 60 * 60_000;

export class AuthWebsocket implements AuthOutcomePublisher {
  readonly sockets: AuthSocketServer;
  readonly bus: AuthOutcomeBus | null;
  /** Attempt id → when this instance took it in hand (insertion order = age). */
  private readonly handled = new Map<string, number>();

  private constructor(private readonly options: AuthWebsocketOptions) {
    this.sockets = new AuthSocketServer({ logger: options.logger, pingIntervalMs: options.pingIntervalMs, limits: options.limits });
    this.bus = options.listenUrl
      ? new AuthOutcomeBus({
          url: options.listenUrl,
          db: options.db,
          logger: options.logger,
          onAttempt: (attemptId) => void this.deliver(attemptId),
          onReconnected: () => void this.catchUp(),
        })
      : null;
  }

  /** Builds it and, with a `listenUrl`, starts LISTENing. */
  static async start(options: AuthWebsocketOptions): Promise<AuthWebsocket> {
    const websocket = new AuthWebsocket(options);
    await websocket.bus?.start();
    return websocket;
  }

  /** Takes the HTTP server's WebSocket upgrades. */
  attach(server: Server): void {
    this.sockets.attach(server);
  }

  async publish(attemptId: string): Promise<void> {
    await this.deliver(attemptId);
    if (!this.bus) return;
    try {
      await this.bus.notify(attemptId);
    } catch (error) {
      this.options.logger.error({ err: error, attemptId }, 'could not announce an authorization outcome to the other instances');
    }
  }

  async close(): Promise<void> {
    await this.bus?.close();
    await this.sockets.close();
  }

  /** Sends the attempt's outcome if its socket is held here; at most once per attempt and instance. */
  private async deliver(attemptId: string): Promise<void> {
    if (this.sockets.size === 0 || this.handled.has(attemptId)) return;
    this.remember(attemptId);
    try {
      const wsClientId = await attemptSocketId(this.options.db, attemptId);
      if (!wsClientId || !this.sockets.holds(wsClientId)) return;
      const outcome = await readAttemptOutcome(this.options.db, this.options.temporal, attemptId);
      if (outcome) this.sockets.send(wsClientId, outcomeMessage(outcome));
    } catch (error) {
      this.options.logger.error({ err: error, attemptId }, 'could not deliver an authorization outcome to its websocket');
    }
  }

  /** After the LISTEN connection was down: finished attempts of the sockets held here may have been missed. */
  private async catchUp(): Promise<void> {
    const held = this.sockets.clientIds();
    if (held.length === 0) return;
    try {
      const finished = await this.options.db.getRepository(AuthAttemptEntity).find({
        where: { wsClientId: In(held), status: In(['succeeded', 'failed']) },
        select: { id: true },
      });
      for (const { id } of finished) await this.deliver(id);
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not catch up on authorization outcomes');
    }
  }

  private remember(attemptId: string): void {
    const now = Date.now();
    for (const [id, at] of this.handled) {
      if (now - at < HANDLED_TTL_MS) break;
      this.handled.delete(id);
    }
    this.handled.set(attemptId, now);
  }
}
