/** First start: the `dev` environment exists, with CUSTODIAN_SECRET_KEY or a generated key. */
import { isUniqueViolation } from '../db/unique-violation';
import { CustodianError } from '../errors';
import type { EnvironmentStore } from './environment-store';
import { hashToken } from './secret-key';

export interface DevEnvironment {
  id: string;
  /** The secret key: given, generated now, or decrypted from the row. */
  secretKey: string;
  /** Whether this call created the environment (the key is then printed once). */
  created: boolean;
}

/** Creates the `dev` environment when missing; an existing one keeps its key unless a different one is configured. */
export async function ensureDevEnvironment(store: EnvironmentStore, options: { secretKey?: string }): Promise<DevEnvironment> {
  let existing = await store.findByName('dev');
  if (!existing) {
    try {
      const { environment, secretKey } = await store.create('dev', options.secretKey);
      return { id: environment.id, secretKey, created: true };
    } catch (error) {
      // Another API process starting at the same time created it first: use theirs, as on a later start.
      if (!isUniqueViolation(error)) throw error;
      existing = await store.findByName('dev');
      if (!existing) throw error;
    }
  }
  if (options.secretKey && hashToken(options.secretKey) !== existing.secretKeyHash) {
    throw new CustodianError('secret_key_mismatch',
      'CUSTODIAN_SECRET_KEY differs from the key the dev environment was created with; unset it or reset the data directory');
  }
  return { id: existing.id, secretKey: store.secretKey(existing), created: false };
}
