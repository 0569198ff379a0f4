/**
 * Connections of an environment: find, import (creation or override), list with filters, edit,
 * metadata (all-or-nothing) and soft delete. Credentials are written encrypted, bumping the version.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { Brackets, In, IsNull, type DataSource, type EntityManager, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Cipher } from '../crypto/cipher';
import { ConnectionEntity } from '../db/entities';
import { NotFoundError } from '../errors';
import { decryptCredentials, encryptCredentials, type Credentials } from './credentials';
import { FetchRecorder } from './fetch-recorder';
import { assertMetadataFits } from './metadata-limit';

/** The end user as the API takes it (snake case). */
export interface EndUser {
  id: string;
  email?: string;
  display_name?: string;
  tags?: Record<string, string>;
  organization?: { id: string; display_name?: string };
}

export interface ImportFields {
  environmentId: string;
  integrationId: string;
  connectionId: string;
  credentials: Credentials;
  expiresAt: Date | null;
  connectionConfig?: Record<string, unknown>;
  metadata?: Record<string, unknown> | null;
  tags?: Record<string, string>;
  endUser?: EndUser | null;
  webhookUrlOverride?: string | null;
}

export interface ListFilters {
  connectionId?: string;
  search?: string;
  endUserId?: string;
  endUserOrganizationId?: string;
  integrationIds?: string[];
  tags?: Record<string, string>;
  limit: number;
  page: number;
}

export interface ConnectionEdits {
  endUser?: EndUser | null;
  tags?: Record<string, string>;
  webhookUrlOverride?: string | null;
}

/** Column changes; TypeORM's update typing cannot express arbitrary JSON objects, so they are cast once here. */
type Changes = Partial<Record<keyof ConnectionEntity, unknown>>;
const asUpdate = (changes: Changes) => changes as QueryDeepPartialEntity<ConnectionEntity>;

/** Every column of `connection`, named as the entity's properties (ConnectionStore.find, the import's insert). */
const LIVE_COLUMNS = `id, environment_id AS "environmentId", integration_id AS "integrationId", connection_id AS "connectionId",
  credentials_encrypted AS "credentialsEncrypted", credentials_version AS "credentialsVersion", expires_at AS "expiresAt", status,
  last_refresh_success_at AS "lastRefreshSuccessAt", last_refresh_failure_at AS "lastRefreshFailureAt",
  last_refresh_failure_reason AS "lastRefreshFailureReason", refresh_attempt_started_at AS "refreshAttemptStartedAt",
  connection_config AS "connectionConfig", metadata, tags, end_user AS "endUser", webhook_url_override AS "webhookUrlOverride",
  last_fetched_at AS "lastFetchedAt", created_at AS "createdAt", updated_at AS "updatedAt", deleted_at AS "deletedAt"`;
const FIND_LIVE_CONNECTION = `SELECT ${LIVE_COLUMNS}
  FROM connection WHERE environment_id = $1 AND integration_id = $2 AND connection_id = $3 AND deleted_at IS NULL`;
/** A new connection's row (the columns an import sets; the others take their defaults), read back whole; no row when it is live already. */
const INSERT_CONNECTION_UNLESS_LIVE = `INSERT INTO connection (id, environment_id, integration_id, connection_id, credentials_encrypted, credentials_version,
  expires_at, status, connection_config, metadata, tags, end_user, webhook_url_override)
  VALUES ($1, $2, $3, $4, $5, 1, $6, 'active', $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, $11)
  ON CONFLICT (environment_id, integration_id, connection_id) WHERE deleted_at IS NULL DO NOTHING RETURNING ${LIVE_COLUMNS}`;
/** Its name as a prepared statement: parsed and planned once per pooled connection, not on every read. */
const FIND_LIVE_CONNECTION_STATEMENT = 'custodian_find_live_connection';

/** How many rows' decrypted credentials {@link ConnectionStore.credentialsOf} keeps. */
const OPENED_CREDENTIALS_KEPT = 10_000;

/** A row read with {@link LIVE_COLUMNS}, as the entity TypeORM would have given. */
function asEntity(row: Partial<ConnectionEntity>): ConnectionEntity {
  return Object.assign(new ConnectionEntity(), row);
}

/** The columns new credentials set, sealed for row `rowId`; what an earlier refresh of the old ones may have lost no longer matters. */
function renewedCredentials(cipher: Cipher, fields: ImportFields, rowId: string) {
  return {
    credentialsEncrypted: encryptCredentials(cipher, fields.credentials, rowId),
    expiresAt: fields.expiresAt,
    status: 'active' as const,
    lastRefreshFailureAt: null,
    lastRefreshFailureReason: null,
    refreshAttemptStartedAt: null,
  };
}

/** A jsonb parameter: the value as JSON, or SQL NULL. */
function jsonOrNull(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** `value` with every object in it frozen. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export interface ConnectionStoreOptions {
  /**
   * Whether the hot read is a named prepared statement (default true). Off on the embedded PGlite, whose
   * pooled connections share one session: a name prepared by one client already exists for the next.
   */
  namedStatements?: boolean;
  /** Told when buffered `last_fetched_at` reads could not be written (they are kept for the next flush). */
  onFetchFlushError?: (error: unknown) => void;
}

export class ConnectionStore {
  private readonly repo: Repository<ConnectionEntity>;
  private readonly fetches: FetchRecorder;
  private readonly findStatementName: string | undefined;
  /** Recently decrypted credentials by row id, oldest first ({@link credentialsOf}). */
  private readonly opened = new Map<string, { ciphertext: string; credentials: Credentials }>();

  constructor(
    private readonly db: DataSource,
    private readonly cipher: Cipher,
    options: ConnectionStoreOptions = {},
  ) {
    this.repo = db.getRepository(ConnectionEntity);
    this.fetches = new FetchRecorder(() => this.pool(), options.onFetchFlushError);
    this.findStatementName = options.namedStatements === false ? undefined : FIND_LIVE_CONNECTION_STATEMENT;
  }

  /** TypeORM's own `pg` pool (same connections, timeouts and type parsing), for the statements of the hot path. */
  private pool(): Pool {
    return (this.db.driver as unknown as { master: Pool }).master;
  }

  /**
   * The live connection, or undefined. The hot path of every read (`GET /connections/:id`, the proxy):
   * one prepared statement on the pool, mapped onto the entity, without TypeORM's query runner, query
   * building and result transform.
   */
  async find(environmentId: string, integrationId: string, connectionId: string): Promise<ConnectionEntity | undefined> {
    const { rows } = await this.pool().query<Partial<ConnectionEntity>>({ name: this.findStatementName, text: FIND_LIVE_CONNECTION, values: [environmentId, integrationId, connectionId] });
    return rows[0] === undefined ? undefined : asEntity(rows[0]);
  }

  /** The connection even if deleted (the newest such row), for reading its logs. */
  async findIncludingDeleted(environmentId: string, integrationId: string, connectionId: string): Promise<ConnectionEntity | undefined> {
    return (await this.repo.findOne({ where: { environmentId, integrationId, connectionId }, order: { createdAt: 'DESC' } })) ?? undefined;
  }

  async findByRowId(id: string): Promise<ConnectionEntity | undefined> {
    return (await this.repo.findOneBy({ id, deletedAt: IsNull() })) ?? undefined;
  }

  /**
   * The row's credentials, decrypted. The hot path reads the same rows again and again: the last
   * {@link OPENED_CREDENTIALS_KEPT} rows opened are kept, by row id and checked against the row's
   * ciphertext (any credentials write changes it), and shared frozen, so no caller can alter another's.
   */
  credentialsOf(row: ConnectionEntity): Credentials {
    const ciphertext = row.credentialsEncrypted;
    const kept = this.opened.get(row.id);
    if (kept !== undefined && kept.ciphertext === ciphertext) return kept.credentials;
    const credentials = deepFreeze(decryptCredentials(this.cipher, row));
    if (ciphertext !== null) {
      this.opened.delete(row.id);
      if (this.opened.size >= OPENED_CREDENTIALS_KEPT) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(row.id, { ciphertext, credentials });
    }
    return credentials;
  }

  /**
   * Stores imported credentials: a new connection (`creation`) or new credentials on a live one (`override`).
   * A new connection, the usual import, is one statement: the live-key index turns it into no row when the
   * connection exists, which is then locked and updated in a transaction.
   */
  async importConnection(fields: ImportFields): Promise<{ row: ConnectionEntity; operation: 'creation' | 'override' }> {
    const created = await this.insertNew(this.db.manager, fields);
    if (created) return { row: created, operation: 'creation' };
    return this.db.transaction(async (manager) => {
      const repo = manager.getRepository(ConnectionEntity);
      const [found] = (await manager.query(`${FIND_LIVE_CONNECTION} FOR UPDATE`, [fields.environmentId, fields.integrationId, fields.connectionId])) as Array<Partial<ConnectionEntity>>;
      if (found === undefined) {
        // Deleted since the insert found it live: a creation after all.
        const row = await this.insertNew(manager, fields);
        if (row) return { row, operation: 'creation' as const };
        throw new Error('the connection is created and deleted concurrently; import it again');
      }
      const existing = asEntity(found);
      const changes: Changes = {
        ...renewedCredentials(this.cipher, fields, existing.id),
        credentialsVersion: existing.credentialsVersion + 1,
        connectionConfig: ({ ...existing.connectionConfig, ...fields.connectionConfig }),
        ...(fields.metadata !== undefined ? { metadata: (fields.metadata) } : {}),
        ...(fields.tags !== undefined ? { tags: (fields.tags) } : {}),
        ...(fields.endUser !== undefined ? { endUser: (fields.endUser) } : {}),
        ...(fields.webhookUrlOverride !== undefined ? { webhookUrlOverride: fields.webhookUrlOverride } : {}),
      };
      await repo.update({ id: existing.id }, asUpdate(changes));
      return { row: await repo.findOneByOrFail({ id: existing.id }), operation: 'override' as const };
    });
  }

  /** Inserts the connection as new, unless it is live already (then undefined). */
  private async insertNew(manager: EntityManager, fields: ImportFields): Promise<ConnectionEntity | undefined> {
    // A new row's id is chosen before the insert: the credentials' ciphertext is bound to it.
    const rowId = randomUUID();
    const [inserted] = (await manager.query(INSERT_CONNECTION_UNLESS_LIVE, [
      rowId,
      fields.environmentId,
      fields.integrationId,
      fields.connectionId,
      encryptCredentials(this.cipher, fields.credentials, rowId),
      fields.expiresAt,
      JSON.stringify(fields.connectionConfig ?? {}),
      jsonOrNull(fields.metadata ?? null),
      JSON.stringify(fields.tags ?? {}),
      jsonOrNull(fields.endUser ?? null),
      fields.webhookUrlOverride ?? null,
    ])) as Array<Partial<ConnectionEntity>>;
    return inserted === undefined ? undefined : asEntity(inserted);
  }

  /** Live connections of an environment, newest first. */
  async list(environmentId: string, filters: ListFilters): Promise<ConnectionEntity[]> {
    const query = this.repo
      .createQueryBuilder('c')
      .where('c.environment_id = :environmentId AND c.deleted_at IS NULL', { environmentId })
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(filters.limit)
      .skip(filters.page * filters.limit);
    if (filters.connectionId !== undefined) query.andWhere('c.connection_id = :connectionId', { connectionId: filters.connectionId });
    if (filters.integrationIds !== undefined) query.andWhere('c.integration_id IN (:...integrationIds)', { integrationIds: filters.integrationIds });
    if (filters.endUserId !== undefined) query.andWhere("c.end_user ->> 'id' = :endUserId", { endUserId: filters.endUserId });
    if (filters.endUserOrganizationId !== undefined) {
      query.andWhere("c.end_user -> 'organization' ->> 'id' = :organizationId", { organizationId: filters.endUserOrganizationId });
    }
    if (filters.tags !== undefined && Object.keys(filters.tags).length > 0) query.andWhere('c.tags @> :tags::jsonb', { tags: JSON.stringify(filters.tags) });
    if (filters.search !== undefined) {
      const pattern = `%${filters.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere(
        new Brackets((b) => {
          b.where('c.connection_id ILIKE :pattern', { pattern })
            .orWhere("c.end_user ->> 'display_name' ILIKE :pattern", { pattern })
            .orWhere("c.end_user ->> 'email' ILIKE :pattern", { pattern });
        }),
      );
    }
    return query.getMany();
  }

  /** Edits end user, tags and webhook override (undefined leaves a field alone). */
  async edit(row: ConnectionEntity, edits: ConnectionEdits): Promise<void> {
    const changes: Changes = {
      ...(edits.endUser !== undefined ? { endUser: (edits.endUser) } : {}),
      ...(edits.tags !== undefined ? { tags: (edits.tags) } : {}),
      ...(edits.webhookUrlOverride !== undefined ? { webhookUrlOverride: edits.webhookUrlOverride } : {}),
    };
    if (Object.keys(changes).length > 0) await this.repo.update({ id: row.id }, asUpdate(changes));
  }

  /** Replaces (`replace`) or shallow-merges (`merge`) the metadata of every listed connection, or of none if any is unknown. */
  async writeMetadata(environmentId: string, integrationId: string, connectionIds: string[], metadata: Record<string, unknown>, mode: 'replace' | 'merge'): Promise<void> {
    await this.db.transaction(async (manager) => {
      const repo = manager.getRepository(ConnectionEntity);
      const rows = await repo.find({ where: { environmentId, integrationId, connectionId: In(connectionIds), deletedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
      const found = new Set(rows.map((r) => r.connectionId));
      const missing = connectionIds.filter((id) => !found.has(id));
      if (missing.length > 0) throw new NotFoundError(`Unknown connection: ${missing.join(', ')}`, 'unknown_connection');
      for (const row of rows) {
        const next = mode === 'replace' ? metadata : { ...row.metadata, ...metadata };
        // The request's own metadata was checked at the edge; a merge can still outgrow the cap. Throwing rolls every row back.
        assertMetadataFits(next);
        await repo.update({ id: row.id }, asUpdate({ metadata: next }));
      }
    });
  }

  /**
   * Records that the row's credentials were handed out at `now` (at most once a minute per connection),
   * buffered and written within a few seconds ({@link FetchRecorder}); `row.lastFetchedAt` shows it at once.
   */
  touchFetched(row: ConnectionEntity, now: Date): void {
    this.fetches.record(row, now);
  }

  /** Writes the buffered reads now (tests; shutdown goes through {@link close}). */
  flushFetched(): Promise<void> {
    return this.fetches.flush();
  }

  /** Writes the buffered reads; call before the data source is destroyed. */
  close(): Promise<void> {
    return this.fetches.close();
  }

  /** Soft delete: the row keeps its non-secret fields (for its logs) and loses its credentials. */
  async softDelete(row: ConnectionEntity, now: Date): Promise<void> {
    await this.repo.update({ id: row.id }, { deletedAt: now, credentialsEncrypted: null });
  }
}
