/** Integrations of an environment: CRUD with the client secret encrypted, and a short-lived lookup cache. */
import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';
import { ConnectionEntity, IntegrationEntity } from '../db/entities';
import { IsNull } from 'typeorm';
import type { IntegrationClient } from '../../providers/auth-modes/auth-mode';

/** How long an integration is served from memory before it is re-read (other instances' edits show up by then). */
const CACHE_TTL_MS = 5_000;

export interface IntegrationFields {
  uniqueKey: string;
  provider: string;
  displayName: string | null;
  clientId: string | null;
  /** Plaintext; the store encrypts it bound to the row. */
  clientSecret: string | null;
  scopes: string[];
  forwardWebhooks: boolean;
  /** Mode-specific settings that are not secret (a GitHub App's id and link…). */
  custom?: Record<string, string>;
  /** Mode-specific secrets (a GitHub App's private key, an MCP client's secret…); plaintext, the store encrypts them bound to the row. */
  customSecrets?: Record<string, string> | null;
}

/** Reads and writes integrations; the connection hot path reads through the cache. */
export class IntegrationStore {
  private readonly repo: Repository<IntegrationEntity>;
  private readonly cache = new Map<string, { integration: IntegrationEntity; at: number }>();

  constructor(private readonly db: DataSource, private readonly cipher: Cipher, private readonly now: () => number = Date.now) {
    this.repo = db.getRepository(IntegrationEntity);
  }

  /** All integrations of an environment, oldest first. */
  list(environmentId: string): Promise<IntegrationEntity[]> {
    return this.repo.find({ where: { environmentId }, order: { createdAt: 'ASC', uniqueKey: 'ASC' } });
  }

  /** The integration with this unique key in this environment, or undefined. */
  async find(environmentId: string, uniqueKey: string): Promise<IntegrationEntity | undefined> {
    const key = `${environmentId}\u0000${uniqueKey}`;
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < CACHE_TTL_MS) return cached.integration;
    const integration = await this.repo.findOneBy({ environmentId, uniqueKey });
    if (integration) this.cache.set(key, { integration, at: this.now() });
    else this.cache.delete(key);
    return integration ?? undefined;
  }

  /** Inserts a new integration; a duplicate key surfaces as the unique-violation error of the driver. */
  async create(environmentId: string, fields: IntegrationFields): Promise<IntegrationEntity> {
    // The row id is chosen before the insert: the client secret's ciphertext is bound to it.
    const id = randomUUID();
    const { clientSecret, custom, customSecrets, ...rest } = fields;
    return this.repo.save(
      this.repo.create({ id, environmentId, ...rest, clientSecretEncrypted: this.sealSecret(clientSecret, id), custom: custom ?? {}, customSecretsEncrypted: this.sealCustom(customSecrets ?? null, id) }),
    );
  }

  /** Applies changes and returns the updated row. */
  async update(integration: IntegrationEntity, changes: Partial<IntegrationFields>): Promise<IntegrationEntity> {
    const { clientSecret, customSecrets, ...rest } = changes;
    await this.repo.update(
      { id: integration.id },
      {
        ...rest,
        ...(clientSecret !== undefined ? { clientSecretEncrypted: this.sealSecret(clientSecret, integration.id) } : {}),
        ...(customSecrets !== undefined ? { customSecretsEncrypted: this.sealCustom(customSecrets, integration.id) } : {}),
      },
    );
    this.forget(integration);
    return this.repo.findOneByOrFail({ id: integration.id });
  }

  /** Deletes the integration (its connections cascade). */
  async remove(integration: IntegrationEntity): Promise<void> {
    await this.repo.delete({ id: integration.id });
    this.forget(integration);
  }

  /** How many live (not deleted) connections use it. */
  liveConnectionCount(integration: IntegrationEntity): Promise<number> {
    return this.db.getRepository(ConnectionEntity).countBy({ integrationId: integration.id, deletedAt: IsNull() });
  }

  /** What an auth-mode strategy knows of the integration (its client and mode-specific settings, decrypted). */
  clientOf(integration: IntegrationEntity): IntegrationClient {
    return integrationClientOf(this.cipher, integration);
  }

  /** The decrypted client secret, or null when the integration has none. */
  clientSecretOf(integration: IntegrationEntity): string | null {
    return clientSecretOf(this.cipher, integration);
  }

  private sealSecret(secret: string | null, id: string): string | null {
    return secret === null ? null : this.cipher.encrypt(secret, ENCRYPTED.integrationClientSecret, id);
  }

  private sealCustom(secrets: Record<string, string> | null, id: string): string | null {
    return secrets === null ? null : this.cipher.encrypt(JSON.stringify(secrets), ENCRYPTED.integrationCustomSecrets, id);
  }

  private forget(integration: IntegrationEntity): void {
    this.cache.delete(`${integration.environmentId}\u0000${integration.uniqueKey}`);
  }
}

/** The decrypted client secret of an integration row, or null (for code that holds a cipher but no store). */
export function clientSecretOf(cipher: Cipher, integration: Pick<IntegrationEntity, 'id' | 'clientSecretEncrypted'>): string | null {
  return integration.clientSecretEncrypted === null ? null : cipher.decrypt(integration.clientSecretEncrypted, ENCRYPTED.integrationClientSecret, integration.id);
}

/** The decrypted mode-specific secrets of an integration row (`{}` when it has none). */
export function customSecretsOf(cipher: Cipher, integration: Pick<IntegrationEntity, 'id' | 'customSecretsEncrypted'>): Record<string, string> {
  if (integration.customSecretsEncrypted === null || integration.customSecretsEncrypted === undefined) return {};
  return JSON.parse(cipher.decrypt(integration.customSecretsEncrypted, ENCRYPTED.integrationCustomSecrets, integration.id)) as Record<string, string>;
}

/** What an auth-mode strategy knows of an integration: its client, scopes and mode-specific settings, decrypted. */
export function integrationClientOf(cipher: Cipher, integration: IntegrationEntity): IntegrationClient {
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(integration.custom ?? {})) if (typeof value === 'string') custom[key] = value;
  return { clientId: integration.clientId, clientSecret: clientSecretOf(cipher, integration), scopes: integration.scopes, custom: { ...custom, ...customSecretsOf(cipher, integration) } };
}
