/**
 * The `auth_attempt` rows: one per authorization attempt (its id is the OAuth `state`). The store owns
 * what is kept on them between steps, encrypted and bound to the row: what the auth mode keeps until the
 * callback, what the callback or the form received, the credentials obtained. Each is wiped once used.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Obtained } from '../../providers/auth-modes/auth-mode';
import type { Credentials } from '../connections/credentials';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';
import { AuthAttemptEntity, ConnectSessionEntity } from '../db/entities';
import { RateLimitedError } from '../errors';

/** What a new attempt is made of (its id is chosen by the store). */
export interface NewAttempt {
  environmentId: string;
  session: ConnectSessionEntity;
  integrationId: string;
  connectionId: string;
  /** A reconnect attempt belongs to its connection from the start (its logs show there, even when it fails). */
  connectionRowId: string | null;
  authMode: string;
  connectionConfig: Record<string, unknown>;
  authorizationParams: Record<string, string>;
  wsClientId: string | null;
  expiresAt: Date;
  /** A form flow's submitted values (kept encrypted until the workflow completes the attempt). */
  received?: Record<string, unknown>;
}

/** Every secret column of an attempt, as cleared once the attempt is done with them. */
const WIPED = { secretsEncrypted: null, pkceVerifierEncrypted: null, requestTokenSecretEncrypted: null, callbackParamsEncrypted: null } as const;

export class AttemptStore {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: Cipher,
    /** How many attempts one connect session may start. */
    private readonly maxAttemptsPerSession: number,
  ) {}

  private repo(manager: EntityManager = this.db.manager) {
    return manager.getRepository(AuthAttemptEntity);
  }

  /**
   * Records a new attempt; 429 once the session has started its share (counted in the database, so it
   * holds across API instances, with the session's row locked so concurrent requests count in turn).
   */
  async create(fields: NewAttempt): Promise<AuthAttemptEntity> {
    const id = randomUUID();
    const { session, received, ...rest } = fields;
    return this.db.transaction(async (manager) => {
      await manager.getRepository(ConnectSessionEntity).findOne({ where: { id: session.id }, lock: { mode: 'pessimistic_write' } });
      const started = await this.repo(manager).countBy({ sessionId: session.id });
      if (started >= this.maxAttemptsPerSession) {
        // Nothing frees a slot: the browser needs a new session, which this one's expiry stands for.
        const untilExpiry = Math.ceil((session.expiresAt.getTime() - Date.now()) / 1000);
        throw new RateLimitedError(Math.max(1, untilExpiry), `This connect session has started ${this.maxAttemptsPerSession} authorization attempts; create a new session`);
      }
      const callbackParamsEncrypted = received === undefined ? null : this.cipher.encrypt(JSON.stringify(received), ENCRYPTED.attemptCallbackParams, id);
      return this.repo(manager).save(this.repo(manager).create({ id, sessionId: session.id, status: 'pending', callbackParamsEncrypted, ...rest }));
    });
  }

  /** Keeps what the auth mode's first step asked to keep, and the connection config it learned. */
  async recordBegun(attempt: AuthAttemptEntity, secrets: Readonly<Record<string, string>>, connectionConfig: Readonly<Record<string, unknown>> | undefined): Promise<void> {
    const secretsEncrypted = Object.keys(secrets).length === 0 ? null : this.cipher.encrypt(JSON.stringify(secrets), ENCRYPTED.attemptSecrets, attempt.id);
    const merged = connectionConfig === undefined ? attempt.connectionConfig : { ...attempt.connectionConfig, ...connectionConfig };
    await this.repo().update({ id: attempt.id }, { secretsEncrypted, connectionConfig: merged as never });
    attempt.connectionConfig = merged;
  }

  /** What the auth mode kept on the attempt (`{}` when nothing), attempts begun before secrets_encrypted included. */
  secretsOf(attempt: AuthAttemptEntity): Record<string, string> {
    if (attempt.secretsEncrypted !== null) return JSON.parse(this.cipher.decrypt(attempt.secretsEncrypted, ENCRYPTED.attemptSecrets, attempt.id)) as Record<string, string>;
    const legacy: Record<string, string> = {};
    if (attempt.pkceVerifierEncrypted !== null) legacy.pkceVerifier = this.cipher.decrypt(attempt.pkceVerifierEncrypted, ENCRYPTED.attemptPkceVerifier, attempt.id);
    if (attempt.requestTokenSecretEncrypted !== null) legacy.requestTokenSecret = this.cipher.decrypt(attempt.requestTokenSecretEncrypted, ENCRYPTED.attemptRequestTokenSecret, attempt.id);
    return legacy;
  }

  /** The callback's query or the submitted form (`{}` when none). */
  receivedOf(attempt: AuthAttemptEntity): Record<string, unknown> {
    return attempt.callbackParamsEncrypted === null ? {} : (JSON.parse(this.cipher.decrypt(attempt.callbackParamsEncrypted, ENCRYPTED.attemptCallbackParams, attempt.id)) as Record<string, unknown>);
  }

  /** Keeps the credentials obtained until the connection is written; what served to obtain them is wiped. */
  async recordObtained(attempt: AuthAttemptEntity, obtained: Obtained): Promise<void> {
    await this.repo().update(
      { id: attempt.id },
      {
        credentialsEncrypted: this.cipher.encrypt(JSON.stringify({ credentials: obtained.credentials, expiresAt: obtained.expiresAt?.toISOString() ?? null }), ENCRYPTED.attemptCredentials, attempt.id),
        connectionConfig: { ...attempt.connectionConfig, ...obtained.connectionConfig } as never,
        ...WIPED,
      },
    );
  }

  /** The credentials obtained, or null before (or after) they were. */
  obtainedOf(attempt: AuthAttemptEntity): { credentials: Credentials; expiresAt: Date | null } | null {
    if (attempt.credentialsEncrypted === null) return null;
    const { credentials, expiresAt } = JSON.parse(this.cipher.decrypt(attempt.credentialsEncrypted, ENCRYPTED.attemptCredentials, attempt.id)) as { credentials: Credentials; expiresAt: string | null };
    return { credentials, expiresAt: expiresAt === null ? null : new Date(expiresAt) };
  }

  /** The attempt produced its connection: the obtained credentials go too. */
  async recordSucceeded(attemptId: string, connectionRowId: string, operation: 'creation' | 'override'): Promise<void> {
    await this.repo().update({ id: attemptId }, { connectionRowId, operation, status: 'succeeded', credentialsEncrypted: null });
  }

  /** The attempt failed: every secret it held is wiped first, before anything else can fail. */
  async recordFailed(attemptId: string, errorCode: string, errorMessage: string): Promise<void> {
    await this.repo().update({ id: attemptId }, { status: 'failed', errorCode: errorCode.slice(0, 64), errorMessage: errorMessage.slice(0, 1000), credentialsEncrypted: null, ...WIPED });
  }
}
