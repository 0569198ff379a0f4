import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseConfig } from '../../../src/config';
import { Cipher } from '../../../src/crypto/cipher';
import { ENCRYPTED } from '../../../src/crypto/encrypted-columns';
import { DecryptionError } from '../../../src/errors';
import { cipherFor } from '../../../src/start/services';
import { legacyEncrypt } from '../../support/legacy-ciphertext';

const oldKey = { id: 'k1', key: randomBytes(32) };
const newKey = { id: 'k2', key: randomBytes(32) };
const COLUMN = ENCRYPTED.connectionCredentials;
const ROW = randomUUID();

function flipByteOfPart(value: string, part: number): string {
  const parts = value.split(':');
  const bytes = Buffer.from(parts[part] as string, 'base64');
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[part] = bytes.toString('base64');
  return parts.join(':');
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(DecryptionError);
    return (error as DecryptionError).code;
  }
  throw new Error('expected a DecryptionError');
}

describe('Cipher (AES-256-GCM at rest)', () => {
  const cipher = new Cipher([oldKey]);

  it('round-trips a value and tags it with the bound-format marker and the write key id', () => {
    const sealed = cipher.encrypt('refresh-token-🔑', COLUMN, ROW);
    expect(sealed.split(':').slice(0, 2)).to.deep.equal(['v2', 'k1']);
    expect(sealed.split(':')).to.have.length(5);
    expect(sealed).not.to.contain('refresh-token');
    expect(cipher.decrypt(sealed, COLUMN, ROW)).to.equal('refresh-token-🔑');
  });

  it('uses a fresh IV per value, so equal plaintexts differ', () => {
    expect(cipher.encrypt('same', COLUMN, ROW)).not.to.equal(cipher.encrypt('same', COLUMN, ROW));
  });

  it('rejects a flipped byte in the IV, the ciphertext or the tag', () => {
    const sealed = cipher.encrypt('secret', COLUMN, ROW);
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 2), COLUMN, ROW))).to.equal('decryption_failed');
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 3), COLUMN, ROW))).to.equal('decryption_failed');
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 4), COLUMN, ROW))).to.equal('decryption_failed');
  });

  it('a value moved to another row fails to decrypt (DecryptionError naming the place, not the value)', () => {
    const sealed = cipher.encrypt('row-a-secret', COLUMN, ROW);
    const other = randomUUID();
    expect(codeOf(() => cipher.decrypt(sealed, COLUMN, other))).to.equal('decryption_failed');
    expect(() => cipher.decrypt(sealed, COLUMN, other)).to.throw(DecryptionError, `connection.credentials_encrypted of row ${other}`);
    expect(() => cipher.decrypt(sealed, COLUMN, other)).not.to.throw(/row-a-secret/);
  });

  it('a value moved to another column of the same row fails to decrypt', () => {
    const sealed = cipher.encrypt('the-secret-key', ENCRYPTED.environmentSecretKey, ROW);
    expect(codeOf(() => cipher.decrypt(sealed, ENCRYPTED.environmentWebhookSigningKey, ROW))).to.equal('decryption_failed');
  });

  it('a value moved to another table (same column name, same row id) fails to decrypt', () => {
    const sealed = cipher.encrypt('{"type":"API_KEY"}', ENCRYPTED.attemptCredentials, ROW);
    expect(ENCRYPTED.attemptCredentials.column).to.equal(ENCRYPTED.connectionCredentials.column);
    expect(codeOf(() => cipher.decrypt(sealed, ENCRYPTED.connectionCredentials, ROW))).to.equal('decryption_failed');
  });

  it('a bound value stripped of its marker (downgraded to the legacy format) fails to decrypt', () => {
    const sealed = cipher.encrypt('secret', COLUMN, ROW);
    expect(codeOf(() => cipher.decrypt(sealed.slice('v2:'.length), COLUMN, ROW))).to.equal('decryption_failed');
  });

  it('reads a legacy value without associated data, marks it for rotation, and refuses it when legacy values are refused', () => {
    const legacy = legacyEncrypt(oldKey, 'written-before-aad');
    expect(cipher.decrypt(legacy, COLUMN, ROW)).to.equal('written-before-aad');
    expect(cipher.needsRotation(legacy)).to.equal(true);
    const strict = new Cipher([oldKey], { acceptLegacy: false });
    expect(codeOf(() => strict.decrypt(legacy, COLUMN, ROW))).to.equal('legacy_ciphertext');
    expect(strict.decrypt(cipher.encrypt('bound', COLUMN, ROW), COLUMN, ROW)).to.equal('bound');
  });

  it('names an unknown key id clearly', () => {
    const sealed = new Cipher([newKey]).encrypt('secret', COLUMN, ROW);
    expect(() => cipher.decrypt(sealed, COLUMN, ROW)).to.throw(DecryptionError, 'key id "k2", which is not in ENCRYPTION_KEYS');
    expect(codeOf(() => cipher.decrypt('garbage', COLUMN, ROW))).to.equal('malformed_ciphertext');
  });

  it('writes with the first key and reads values of every listed key', () => {
    const rotated = new Cipher([newKey, oldKey]);
    const older = cipher.encrypt('older', COLUMN, ROW);
    expect(rotated.decrypt(older, COLUMN, ROW)).to.equal('older');
    expect(rotated.needsRotation(older)).to.equal(true);
    const fresh = rotated.encrypt('fresh', COLUMN, ROW);
    expect(fresh.startsWith('v2:k2:')).to.equal(true);
    expect(rotated.needsRotation(fresh)).to.equal(false);
    expect(new Cipher([newKey]).decrypt(fresh, COLUMN, ROW)).to.equal('fresh');
  });

  it('ENCRYPTION_REFUSE_LEGACY=true makes the services\' cipher refuse a legacy value planted in a row; unset, it is read until rotated', () => {
    const env = { ENCRYPTION_KEYS: `k1=${oldKey.key.toString('base64')}` };
    const planted = legacyEncrypt(oldKey, 'planted-after-migration');
    expect(cipherFor(parseConfig(env)).decrypt(planted, COLUMN, ROW)).to.equal('planted-after-migration');
    const strict = cipherFor(parseConfig({ ...env, ENCRYPTION_REFUSE_LEGACY: 'true' }));
    expect(codeOf(() => strict.decrypt(planted, COLUMN, ROW))).to.equal('legacy_ciphertext');
  });
});
