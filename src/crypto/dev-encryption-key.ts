/**
 * The encryption key ring of a process: ENCRYPTION_KEYS, or in dev mode a local key created once
 * under the data directory (`<dataDir>/encryption-key`, `dev=<base64>`, mode 0600).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config, EncryptionKey } from '../config';

const DEV_KEY_ID = 'dev';
const KEY_FILE = 'encryption-key';
const KEY_LINE = /^([A-Za-z0-9_-]{1,32})=([A-Za-z0-9+/]+={0,2})$/;

/** Reads the dev key from `<dataDir>/encryption-key`, creating it (32 random bytes, 0600) on first use. */
export function loadOrCreateDevEncryptionKey(dataDir: string): EncryptionKey {
  const file = path.join(dataDir, KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  const line = `${DEV_KEY_ID}=${randomBytes(32).toString('base64')}\n`;
  try {
    // 'wx' fails when the file exists, so two processes starting together never overwrite each other's key.
    fs.writeFileSync(file, line, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseKeyFile(file);
}

function parseKeyFile(file: string): EncryptionKey {
  const match = KEY_LINE.exec(fs.readFileSync(file, 'utf8').trim());
  const key = match ? Buffer.from(match[2] as string, 'base64') : undefined;
  // Never echo the file's content: it is key material.
  if (!match || key?.length !== 32) throw new Error(`${file} is not kid=<base64 of 32 bytes>; restore it or remove it (data encrypted with it becomes unreadable)`);
  return Object.freeze({ id: match[1] as string, key });
}

/** The configured key ring: ENCRYPTION_KEYS when set, else (dev mode) the local dev key. */
export function resolveEncryptionKeys(config: Pick<Config, 'mode' | 'encryptionKeys' | 'dataDir'>): readonly EncryptionKey[] {
  if (config.encryptionKeys && config.encryptionKeys.length > 0) return config.encryptionKeys;
  if (config.mode === 'production') throw new Error('ENCRYPTION_KEYS is required in production mode');
  return Object.freeze([loadOrCreateDevEncryptionKey(config.dataDir)]);
}
