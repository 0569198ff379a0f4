/**
 * The one-shot callback lookup: the first callback of a pending, unexpired attempt stores its
 * parameters (encrypted) on the attempt; a replay, an unknown or expired state, or a finished attempt
 * changes nothing.
 */
import type { DataSource } from 'typeorm';
import type { Cipher } from '../crypto/cipher';
import { ENCRYPTED } from '../crypto/encrypted-columns';
import { AuthAttemptEntity } from '../db/entities';

const ATTEMPT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether this callback was the one taken. */
export async function takeCallback(db: DataSource, cipher: Cipher, attemptId: string, received: Record<string, string>): Promise<boolean> {
  if (!ATTEMPT_ID.test(attemptId)) return false;
  const taken = await db
    .createQueryBuilder()
    .update(AuthAttemptEntity)
    .set({ callbackParamsEncrypted: cipher.encrypt(JSON.stringify(received), ENCRYPTED.attemptCallbackParams, attemptId) })
    .where("id = :id AND status = 'pending' AND callback_params_encrypted IS NULL AND credentials_encrypted IS NULL AND expires_at > now()", { id: attemptId })
    .execute();
  return taken.affected === 1;
}
