import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Cipher } from '../../../src/crypto/cipher';
import { DecryptionError } from '../../../src/errors';

const oldKey = { id: 'k1', key: randomBytes(32) };
const newKey = { id: 'k2', key: randomBytes(32) };

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

  it('round-trips a value and tags it with the write key id', () => {
    const sealed = cipher.encrypt('refresh-token-🔑');
    expect(sealed.split(':')[0]).to.equal('k1');
    expect(sealed).not.to.contain('refresh-token');
    expect(cipher.decrypt(sealed)).to.equal('refresh-token-🔑');
  });

  it('uses a fresh IV per value, so equal plaintexts differ', () => {
    expect(cipher.encrypt('same')).not.to.equal(cipher.encrypt('same'));
  });

  it('rejects a flipped byte in the IV, the ciphertext or the tag', () => {
    const sealed = cipher.encrypt('secret');
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 1)))).to.equal('decryption_failed');
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 2)))).to.equal('decryption_failed');
    expect(codeOf(() => cipher.decrypt(flipByteOfPart(sealed, 3)))).to.equal('decryption_failed');
  });

  it('names an unknown key id clearly', () => {
    const sealed = new Cipher([newKey]).encrypt('secret');
    expect(() => cipher.decrypt(sealed)).to.throw(DecryptionError, 'key id "k2", which is not in ENCRYPTION_KEYS');
    expect(codeOf(() => cipher.decrypt('garbage'))).to.equal('malformed_ciphertext');
  });

  it('writes with the first key and reads values of every listed key', () => {
    const rotated = new Cipher([newKey, oldKey]);
    const legacy = cipher.encrypt('legacy');
    expect(rotated.decrypt(legacy)).to.equal('legacy');
    expect(rotated.needsRotation(legacy)).to.equal(true);
    const fresh = rotated.encrypt('fresh');
    expect(fresh.startsWith('k2:')).to.equal(true);
    expect(rotated.needsRotation(fresh)).to.equal(false);
    expect(new Cipher([newKey]).decrypt(fresh)).to.equal('fresh');
  });
});
