/** Environments: creation with their keys, lookup by secret key (cached), settings updates. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';
import { EnvironmentEntity } from '../db/entities';
import { generateSecretKey, hashToken } from './secret-key';

/** How long an environment looked up by key is served from memory before it is re-read. */
const CACHE_TTL_MS = 5_000;

export type EnvironmentSettings = Partial<Pick<EnvironmentEntity,
  'webhookPrimaryUrl' | 'webhookSecondaryUrl' | 'onAuthCreation' | 'onAuthRefreshError' | 'onAuthRefreshRecovered'
  | 'onConnectionDeleted' | 'callbackUrl' | 'connectUiTheme' | 'connectUiPrimaryColor' | 'connectUiLogoUrl'>>;

/** Reads and writes environments; the API's auth hits the in-process cache. */
export class EnvironmentStore {
  private readonly repo: Repository<EnvironmentEntity>;
  private readonly byKeyHash = new Map<string, { env: EnvironmentEntity; at: number }>();

  constructor(db: DataSource, private readonly cipher: Cipher, private readonly now: () => number = Date.now) {
    this.repo = db.getRepository(EnvironmentEntity);
  }

  /** Creates an environment; its webhook signing key starts equal to the secret key (as Nango's does). */
  async create(name: string, secretKey: string = generateSecretKey()): Promise<{ environment: EnvironmentEntity; secretKey: string }> {
    // The row id is chosen before the insert: the ciphertexts are bound to it.
    const id = randomUUID();
    const environment = await this.repo.save(this.repo.create({
      id,
      name,
      secretKeyHash: hashToken(secretKey),
      secretKeyEncrypted: this.cipher.encrypt(secretKey, ENCRYPTED.environmentSecretKey, id),
      webhookSigningKeyEncrypted: this.cipher.encrypt(secretKey, ENCRYPTED.environmentWebhookSigningKey, id),
    }));
    return { environment, secretKey };
  }

  /** The environment named `name`, or undefined. */
  findByName(name: string): Promise<EnvironmentEntity | null> {
    return this.repo.findOneBy({ name });
  }

  /** The environment whose secret key this is, or undefined. */
  async findBySecretKey(secretKey: string): Promise<EnvironmentEntity | undefined> {
    const keyHash = hashToken(secretKey);
    const cached = this.byKeyHash.get(keyHash);
    if (cached && this.now() - cached.at < CACHE_TTL_MS) return cached.env;
    const env = await this.repo.findOneBy({ secretKeyHash: keyHash });
    if (env) this.byKeyHash.set(keyHash, { env, at: this.now() });
    return env ?? undefined;
  }

  /** The environment by id (uncached). */
  findById(id: string): Promise<EnvironmentEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Applies settings and returns the updated environment. */
  async update(env: EnvironmentEntity, settings: EnvironmentSettings): Promise<EnvironmentEntity> {
    await this.repo.update({ id: env.id }, settings);
    this.forget(env);
    return this.repo.findOneByOrFail({ id: env.id });
  }

  /** Replaces the webhook signing key with a new random one and returns it (the only time it is shown). */
  async rotateWebhookSigningKey(env: EnvironmentEntity): Promise<string> {
    const key = randomBytes(32).toString('hex');
    await this.repo.update({ id: env.id }, { webhookSigningKeyEncrypted: this.cipher.encrypt(key, ENCRYPTED.environmentWebhookSigningKey, env.id) });
    this.forget(env);
    return key;
  }

  /** The decrypted secret key (the dev banner shows it). */
  secretKey(env: EnvironmentEntity): string {
    return this.cipher.decrypt(env.secretKeyEncrypted, ENCRYPTED.environmentSecretKey, env.id);
  }

  /** The decrypted webhook signing key (for signing deliveries). */
  webhookSigningKey(env: EnvironmentEntity): string {
    return this.cipher.decrypt(env.webhookSigningKeyEncrypted, ENCRYPTED.environmentWebhookSigningKey, env.id);
  }

  private forget(env: EnvironmentEntity): void {
    this.byKeyHash.delete(env.secretKeyHash);
  }
}
