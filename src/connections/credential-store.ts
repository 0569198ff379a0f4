/**
 * Reads and writes a connection's encrypted credentials. Every write is a compare-and-swap on
 * `credentials_version`: a writer that read version N only succeeds while the row still holds N.
 */
import { IsNull, type DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Cipher } from '../crypto/cipher';
import { ConnectionEntity, type ConnectionStatus } from '../db/entities';
import { decryptCredentials, encryptCredentials, type Credentials } from './credentials';

export interface CredentialsWrite {
  credentials: Credentials;
  expiresAt: Date | null;
  /** Merged into the row's `connection_config` (token response metadata). */
  connectionConfig?: Record<string, unknown>;
  now: Date;
}

export class CredentialStore {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: Cipher,
  ) {}

  /** The live (not deleted) row, or null. */
  async load(rowId: string): Promise<ConnectionEntity | null> {
    return this.db.getRepository(ConnectionEntity).findOneBy({ id: rowId, deletedAt: IsNull() });
  }

  credentialsOf(row: ConnectionEntity): Credentials {
    return decryptCredentials(this.cipher, row);
  }

  /** The credentials encrypted for connection row `rowId`. */
  encrypt(credentials: Credentials, rowId: string): string {
    return encryptCredentials(this.cipher, credentials, rowId);
  }

  /** The row's current credentials version, or null when it is gone. */
  async currentVersion(rowId: string): Promise<number | null> {
    const row = await this.db.getRepository(ConnectionEntity).findOne({ where: { id: rowId, deletedAt: IsNull() }, select: { id: true, credentialsVersion: true } });
    return row?.credentialsVersion ?? null;
  }

  /** Stores refreshed credentials if the row still holds `expectedVersion`; marks it active. Returns whether it won. */
  async swap(row: ConnectionEntity, expectedVersion: number, write: CredentialsWrite): Promise<boolean> {
    const connectionConfig = { ...row.connectionConfig, ...write.connectionConfig };
    const result = await this.db
      .createQueryBuilder()
      .update(ConnectionEntity)
      .set({
        credentialsEncrypted: this.encrypt(write.credentials, row.id),
        credentialsVersion: expectedVersion + 1,
        expiresAt: write.expiresAt,
        // TypeORM's update typing cannot express an arbitrary JSON object.
        connectionConfig: connectionConfig as QueryDeepPartialEntity<ConnectionEntity>['connectionConfig'],
        status: 'active',
        lastRefreshSuccessAt: write.now,
        lastRefreshFailureReason: null,
        refreshAttemptStartedAt: null,
      })
      .where('id = :id AND credentials_version = :version AND deleted_at IS NULL', { id: row.id, version: expectedVersion })
      .execute();
    return result.affected === 1;
  }

  /** Records a failed refresh and the resulting status; the provider answered, so no attempt is left unanswered. */
  async recordFailure(rowId: string, status: ConnectionStatus, reason: string, at: Date): Promise<void> {
    await this.db.getRepository(ConnectionEntity).update({ id: rowId }, { status, lastRefreshFailureAt: at, lastRefreshFailureReason: reason, refreshAttemptStartedAt: null });
  }

  /** Marks a successful verification (credentials unchanged). */
  async recordVerified(rowId: string, at: Date): Promise<void> {
    await this.db.getRepository(ConnectionEntity).update({ id: rowId }, { status: 'active', lastRefreshSuccessAt: at, lastRefreshFailureReason: null, refreshAttemptStartedAt: null });
  }

  /** Written before a refresh request is sent: until an outcome clears it, that request's answer may be lost. */
  async markRefreshSent(rowId: string, at: Date): Promise<void> {
    await this.db.getRepository(ConnectionEntity).update({ id: rowId }, { refreshAttemptStartedAt: at });
  }

  /** The attempt has an outcome that leaves nothing unanswered (the provider answered, or the request never left). */
  async clearRefreshSent(rowId: string): Promise<void> {
    await this.db.getRepository(ConnectionEntity).update({ id: rowId }, { refreshAttemptStartedAt: null });
  }
}
