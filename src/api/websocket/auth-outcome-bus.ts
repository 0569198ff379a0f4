/**
 * Tells every API instance that an authorization attempt has an outcome, through PostgreSQL
 * LISTEN/NOTIFY on one channel. The payload is the attempt id only; each instance reads the outcome
 * itself. LISTEN needs a session of its own, so this keeps a dedicated `pg` client (not one of the
 * TypeORM pool's) and reconnects it, with back-off, whenever it drops.
 */
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../logger';

export const AUTH_OUTCOME_CHANNEL = 'custodian_auth_outcome';
/** `application_name` of the LISTEN connections (visible in pg_stat_activity). */
export const LISTENER_APPLICATION_NAME = 'custodian-auth-outcome-listener';
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export interface AuthOutcomeBusOptions {
  /** The database URL the dedicated LISTEN connection opens. */
  url: string;
  /** Where NOTIFY is sent from (any connection of the pool will do). */
  db: DataSource;
  logger: Logger;
  /** Called with each attempt id announced by any instance, this one included. */
  onAttempt(attemptId: string): void;
  /** Called after the LISTEN connection came back: notifications sent meanwhile were missed. */
  onReconnected?(): void;
}

export class AuthOutcomeBus {
  private client: Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private delayMs = RECONNECT_MIN_MS;

  constructor(private readonly options: AuthOutcomeBusOptions) {}

  /** Connects and LISTENs; fails if the first connection cannot be made. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Whether the LISTEN connection is up (for tests and health). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Announces that this attempt has an outcome. */
  async notify(attemptId: string): Promise<void> {
    await this.options.db.query('SELECT pg_notify($1, $2)', [AUTH_OUTCOME_CHANNEL, attemptId]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.options.url, application_name: LISTENER_APPLICATION_NAME });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.options.logger.warn({ err: error }, 'auth outcome LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === AUTH_OUTCOME_CHANNEL && message.payload) this.options.onAttempt(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_OUTCOME_CHANNEL}`);
    } catch (error) {
      lost = true;
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delayMs = RECONNECT_MIN_MS;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      this.connect().then(
        () => {
          if (!this.closed) this.options.onReconnected?.();
        },
        (error: unknown) => {
          this.options.logger.warn({ err: error, retryInMs: this.delayMs }, 'auth outcome LISTEN reconnect failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.retryTimer.unref();
  }
}
