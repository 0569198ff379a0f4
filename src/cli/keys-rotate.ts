/**
 * `npm run keys:rotate [-- --batch-size N]`: re-encrypts every stored secret with the first key of
 * ENCRYPTION_KEYS (dev mode: the local dev key), bound to its table, column and row, so older keys can
 * then be removed and ENCRYPTION_REFUSE_LEGACY set. It reads legacy (AAD-less) values whatever that
 * setting says. Safe to run while the service runs and to run again: bound rows on the write key are left alone.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { loadConfigOrExit, type Config } from '../config';
import { Cipher } from '../crypto/cipher';
import { resolveEncryptionKeys } from '../crypto/dev-encryption-key';
import { rotateKeys } from '../crypto/rotate-keys';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres } from '../db/embedded-postgres';

/** An open database and how to close it. */
interface OpenDb {
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** Opens DATABASE_URL, or in dev mode the embedded PGlite database under the data directory. */
async function openDb(config: Config): Promise<OpenDb> {
  if (config.databaseUrl) {
    const dataSource = await openDatabase(config.databaseUrl);
    return { dataSource, close: () => dataSource.destroy() };
  }
  const dataDir = path.join(config.dataDir, 'pglite');
  let embedded;
  try {
    embedded = await startEmbeddedPostgres({ dataDir });
  } catch (error) {
    throw new Error(`cannot open the embedded database in ${dataDir} (${messageOf(error)}); if \`npm run dev\` is running, stop it first`, { cause: error });
  }
  try {
    const dataSource = await openDatabase(embedded.url);
    const stop = embedded.stop;
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** Parses `--batch-size N`; throws on anything else. */
function parseBatchSize(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { 'batch-size': { type: 'string' } }, strict: true, allowPositionals: false });
  const text = values['batch-size'];
  if (text === undefined) return 500;
  const size = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(size) || size < 1) throw new Error(`--batch-size must be a positive integer (got "${text}")`);
  return size;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Runs the rotation and returns the process exit code. */
async function main(): Promise<number> {
  const batchSize = parseBatchSize(process.argv.slice(2));
  const config = loadConfigOrExit();
  const keys = resolveEncryptionKeys(config);
  const cipher = new Cipher(keys);
  const db = await openDb(config);
  try {
    process.stdout.write(`Rotating encrypted values to key "${cipher.writeKeyId}" (key ring: ${keys.map((k) => k.id).join(', ')}), batches of ${batchSize}\n`);
    const result = await rotateKeys({
      dataSource: db.dataSource,
      cipher,
      batchSize,
      onProgress: (p) => {
        const remaining = p.remaining === undefined ? '' : `, ~${p.remaining} remaining`;
        process.stdout.write(`${p.table}.${p.column}: ${p.rotated} rotated (+${p.batchRotated})${remaining}\n`);
      },
    });
    process.stdout.write('Summary:\n');
    for (const c of result.columns) {
      const notes = [c.skipped > 0 ? `${c.skipped} changed concurrently` : '', c.incomplete ? 'INCOMPLETE' : ''].filter(Boolean).join(', ');
      process.stdout.write(`  ${c.table}.${c.column}: ${c.rotated} rotated${notes ? ` (${notes})` : ''}\n`);
    }
    if (!result.complete) {
      process.stderr.write(`keys:rotate: ${result.total} values rotated, but some rows kept changing during rotation; run it again\n`);
      return 1;
    }
    process.stdout.write(`Done: ${result.total} values rotated; every encrypted value now uses key "${cipher.writeKeyId}".\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`keys:rotate failed: ${messageOf(error)}\n`);
    process.exitCode = 1;
  },
);
