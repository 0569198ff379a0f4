/** Environments: creation with their keys, lookup by secret key (cached), key rotation, settings updates. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';
import { EnvironmentEntity } from '../db/entities';
import { CustodianError } from '../errors';
import { generateSecretKey, hashToken } from './secret-key';

/** How long an environment looked up by key is served from memory before it is re-read. */
const CACHE_TTL_MS = 5_000;

/**
 * Bounds of a secret key rotation's overlap. At least the cache's lifetime: another API instance may hold
 * the replaced key in its cache as the current one for that long, so a shorter overlap would let it
 * outlive the overlap there. At most 7 days: a rotation is meant to end the old key.
 */
export const MIN_SECRET_KEY_OVERLAP_MS = CACHE_TTL_MS;
export const MAX_SECRET_KEY_OVERLAP_MS = 7 * 86_400_000;
/** The overlap when a rotation names none. */
export const DEFAULT_SECRET_KEY_OVERLAP_MS = 86_400_000;

/** A new secret key and the moment the one it replaced stops working. */
export interface RotatedSecretKey {
  secretKey: string;
  previousExpiresAt: Date;
}

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

  /**
   * The environment whose current secret key this is, or whose replaced key it is while its overlap lasts
   * (PostgreSQL's clock decides, the same for every API instance); else undefined. Only current keys are
   * cached: a replaced key is checked against the row on every request, so its end is never served stale.
   */
  async findBySecretKey(secretKey: string): Promise<EnvironmentEntity | undefined> {
    const keyHash = hashToken(secretKey);
    const cached = this.byKeyHash.get(keyHash);
    if (cached && this.now() - cached.at < CACHE_TTL_MS) return cached.env;
    const env = await this.repo.createQueryBuilder('e')
      .where('e.secret_key_hash = :keyHash', { keyHash })
      .orWhere('(e.previous_secret_key_hash = :keyHash AND now() < e.previous_secret_key_expires_at)', { keyHash })
      .getOne();
    if (env && env.secretKeyHash === keyHash) this.byKeyHash.set(keyHash, { env, at: this.now() });
    return env ?? undefined;
  }

  /**
   * Issues a new secret key; `presentedKey` (the caller's) keeps working for `overlapMs`. Only the current
   * key may rotate (checked under the row lock): a leaked replaced key cannot take the environment back.
   * A webhook signing key that is still the secret key (never rotated on its own) becomes the new key,
   * as the SDK verifies with the key the backend holds; a separate signing key is left alone.
   */
  async rotateSecretKey(envId: string, presentedKey: string, overlapMs: number): Promise<RotatedSecretKey> {
    if (!(overlapMs >= MIN_SECRET_KEY_OVERLAP_MS && overlapMs <= MAX_SECRET_KEY_OVERLAP_MS)) throw new RangeError('overlap out of bounds');
    const secretKey = generateSecretKey();
    const previousExpiresAt = await this.repo.manager.transaction(async (manager) => {
      const row = await manager.getRepository(EnvironmentEntity).findOne({ where: { id: envId }, lock: { mode: 'pessimistic_write' } });
      if (!row || row.secretKeyHash !== hashToken(presentedKey)) {
        throw new CustodianError('secret_key_superseded', 'Only the current secret key can rotate it, not the key it replaced');
      }
      const signingFollows = this.cipher.decrypt(row.webhookSigningKeyEncrypted, ENCRYPTED.environmentWebhookSigningKey, envId)
        === this.cipher.decrypt(row.secretKeyEncrypted, ENCRYPTED.environmentSecretKey, envId);
      const encrypted = this.cipher.encrypt(secretKey, ENCRYPTED.environmentSecretKey, envId);
      const [updated] = await manager.query(
        `UPDATE environment SET previous_secret_key_hash = secret_key_hash,
           previous_secret_key_expires_at = now() + $2 * interval '1 millisecond',
           secret_key_hash = $3, secret_key_encrypted = $4, webhook_signing_key_encrypted = $5, updated_at = now()
         WHERE id = $1 RETURNING previous_secret_key_expires_at`,
        [envId, overlapMs, hashToken(secretKey), encrypted, signingFollows ? this.cipher.encrypt(secretKey, ENCRYPTED.environmentWebhookSigningKey, envId) : row.webhookSigningKeyEncrypted],
      ) as [{ previous_secret_key_expires_at: Date }[], number];
      this.byKeyHash.delete(row.secretKeyHash);
      return updated[0]!.previous_secret_key_expires_at;
    });
    return { secretKey, previousExpiresAt };
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
