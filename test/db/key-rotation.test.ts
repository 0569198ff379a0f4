import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { CONFIG_VARIABLES, parseConfig, type EncryptionKey } from '../../src/config';
import { Cipher } from '../../src/crypto/cipher';
import { loadOrCreateDevEncryptionKey, resolveEncryptionKeys } from '../../src/crypto/dev-encryption-key';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from '../../src/crypto/encrypted-columns';
import { KeyRotationError, rotateKeys, type RotationProgress } from '../../src/crypto/rotate-keys';
import { openDatabase } from '../../src/db/data-source';
import { createTestDatabase } from '../support/database';
import { legacyEncrypt } from '../support/legacy-ciphertext';

const ROOT = path.resolve(__dirname, '../..');
const key = (id: string): EncryptionKey => ({ id, key: randomBytes(32) });
const OLD = key('old');
const NEW = key('new');
const CONNECTIONS = 1200;
/** Encrypted values seed() writes: 3 + 3 environment keys, 4 client secrets, the connections, 2 + 1 + 2 + 1 auth attempt values. */
const TOTAL = 3 + 3 + 4 + 2 + CONNECTIONS + 1 + 2 + 1 + 2 + 1;

/** Plaintext of every seeded encrypted value, by `table.column` then row id. */
type Seeded = Map<string, Map<string, string>>;

/** How seeded values are written: bound to their place by a cipher, or in the legacy format without associated data. */
type Sealer = (column: EncryptedColumn, id: string, plain: string) => string;
const bound = (cipher: Cipher): Sealer => (column, id, plain) => cipher.encrypt(plain, column, id);
const legacy = (k: EncryptionKey): Sealer => (_column, _id, plain) => legacyEncrypt(k, plain);

const columnOf = (table: string, column: string): EncryptedColumn => {
  const found = ENCRYPTED_COLUMNS.find((c) => c.table === table && c.column === column);
  if (!found) throw new Error(`${table}.${column} is not an encrypted column`);
  return found;
};

/** Inserts 3 environments, 5 integrations (one without a client secret), 1200 connections and 4 auth attempts, encrypted by `seal`. */
async function seed(ds: DataSource, seal: Sealer): Promise<Seeded> {
  const seeded: Seeded = new Map(ENCRYPTED_COLUMNS.map((c) => [`${c.table}.${c.column}`, new Map<string, string>()]));
  const enc = (table: string, column: string, id: string, plain: string | null): string | null => {
    if (plain === null) return null;
    seeded.get(`${table}.${column}`)?.set(id, plain);
    return seal(columnOf(table, column), id, plain);
  };
  const envIds = [randomUUID(), randomUUID(), randomUUID()];
  for (const [i, id] of envIds.entries()) {
    await ds.query(
      `INSERT INTO environment (id, name, secret_key_hash, secret_key_encrypted, webhook_signing_key_encrypted) VALUES ($1, $2, $3, $4, $5)`,
      [id, `env-${i}`, String(i).repeat(64), enc('environment', 'secret_key_encrypted', id, randomUUID()), enc('environment', 'webhook_signing_key_encrypted', id, `whsec-${i}`)],
    );
  }
  const integrationIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = randomUUID();
    integrationIds.push(id);
    const secret = i === 4 ? null : `client-secret-${i}-${randomUUID()}`;
    // Two of them hold mode-specific secrets too (a GitHub App's private key).
    const customSecrets = i < 2 ? JSON.stringify({ private_key: `pem-${i}-${randomUUID()}` }) : null;
    await ds.query(`INSERT INTO integration (id, environment_id, unique_key, provider, client_id, client_secret_encrypted, custom_secrets_encrypted) VALUES ($1, $2, $3, 'github', 'cid', $4, $5)`, [
      id,
      envIds[i % 3],
      `gh-${i}`,
      enc('integration', 'client_secret_encrypted', id, secret),
      enc('integration', 'custom_secrets_encrypted', id, customSecrets),
    ]);
  }
  const rows = Array.from({ length: CONNECTIONS }, (_, i) => {
    const id = randomUUID();
    const env = i % 3;
    const credentials = enc('connection', 'credentials_encrypted', id, JSON.stringify({ type: 'OAUTH2', access_token: `tok-${i}-${randomUUID()}` }));
    return { id, env: envIds[env] as string, integration: integrationIds[env] as string, connectionId: `conn-${i}`, credentials, version: 1 + (i % 7) };
  });
  await ds.query(
    `INSERT INTO connection (id, environment_id, integration_id, connection_id, credentials_encrypted, credentials_version)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[])`,
    [rows.map((r) => r.id), rows.map((r) => r.env), rows.map((r) => r.integration), rows.map((r) => r.connectionId), rows.map((r) => r.credentials), rows.map((r) => r.version)],
  );
  const attempts: [string | null, string | null, string | null, string | null][] = [
    ['verifier-a', null, null, null],
    ['verifier-b', null, '{"code":"abc","state":"s"}', null],
    [null, 'oauth1-token-secret', '{"oauth_verifier":"v"}', null],
    [null, null, null, '{"credentials":{"type":"API_KEY","apiKey":"obtained-key"},"expiresAt":null}'],
  ];
  for (const [i, [pkce, tokenSecret, params, obtained]] of attempts.entries()) {
    const id = randomUUID();
    // The first attempt also holds what a strategy keeps until the callback (secrets_encrypted).
    const secrets = i === 0 ? JSON.stringify({ pkceVerifier: `strategy-verifier-${randomUUID()}` }) : null;
    await ds.query(
      `INSERT INTO auth_attempt (id, environment_id, integration_id, connection_id, pkce_verifier_encrypted, request_token_secret_encrypted, callback_params_encrypted, credentials_encrypted, secrets_encrypted, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + interval '10 minutes')`,
      [
        id,
        envIds[0],
        integrationIds[0],
        `attempt-${i}`,
        enc('auth_attempt', 'pkce_verifier_encrypted', id, pkce),
        enc('auth_attempt', 'request_token_secret_encrypted', id, tokenSecret),
        enc('auth_attempt', 'callback_params_encrypted', id, params),
        enc('auth_attempt', 'credentials_encrypted', id, obtained),
        enc('auth_attempt', 'secrets_encrypted', id, secrets),
      ],
    );
  }
  return seeded;
}

/** Every non-NULL encrypted value, by `table.column` then row id. */
async function readAll(ds: DataSource): Promise<Map<string, Map<string, string>>> {
  const all = new Map<string, Map<string, string>>();
  for (const { table, column } of ENCRYPTED_COLUMNS) {
    const rows = (await ds.query(`SELECT id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`)) as { id: string; value: string }[];
    all.set(`${table}.${column}`, new Map(rows.map((r) => [r.id, r.value])));
  }
  return all;
}

/** Asserts every seeded value is bound to its place, written by `kid`, and decrypts with `reader` (legacy values refused) to its original plaintext. */
async function expectAllRotated(ds: DataSource, seeded: Seeded, reader: Cipher, kid: string): Promise<void> {
  const stored = await readAll(ds);
  for (const [name, plain] of seeded) {
    const [table, column] = name.split('.') as [string, string];
    const values = stored.get(name) as Map<string, string>;
    expect([...values.keys()].sort(), name).to.deep.equal([...plain.keys()].sort());
    for (const [id, value] of values) {
      expect(value.startsWith(`v2:${kid}:`), `${name} ${id}`).to.equal(true);
      expect(reader.decrypt(value, columnOf(table, column), id), `${name} ${id}`).to.equal(plain.get(id));
    }
  }
}

/** How many values of a column are bound (`v2:<kid>:…`) with key `kid`. */
async function countBound(ds: DataSource, table: string, column: string, kid: string): Promise<number> {
  const [{ count }] = (await ds.query(`SELECT count(*)::int AS count FROM ${table} WHERE split_part(${column}, ':', 1) = 'v2' AND split_part(${column}, ':', 2) = $1`, [kid])) as [{ count: number }];
  return count;
}

/** How many values of a column are legacy (`<kid>:<iv>:<ciphertext>:<tag>`, no associated data) with key `kid`. */
async function countLegacy(ds: DataSource, table: string, column: string, kid: string): Promise<number> {
  const [{ count }] = (await ds.query(`SELECT count(*)::int AS count FROM ${table} WHERE split_part(${column}, ':', 1) = $1 AND split_part(${column}, ':', 5) = ''`, [kid])) as [{ count: number }];
  return count;
}

async function reseed(ds: DataSource, seal: Sealer): Promise<Seeded> {
  await ds.query(`TRUNCATE environment CASCADE`);
  return seed(ds, seal);
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name)));
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli/keys-rotate.ts', ...args], { cwd: ROOT, env: { ...clean, ...env } }, (error, stdout, stderr) => {
      // npx itself may warn about the npm configuration; only the command's own stderr matters.
      const own = stderr.split('\n').filter((line) => !line.startsWith('npm warn')).join('\n');
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr: own });
    });
  });
}

const b64 = (k: EncryptionKey) => k.key.toString('base64');

describe('keys:rotate (PostgreSQL server)', function () {
  this.timeout(120_000);
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let seeded: Seeded;
  const oldCipher = new Cipher([OLD]);
  const rotating = new Cipher([NEW, OLD]);
  // Reads bound values only: a legacy value left behind fails the check.
  const newOnly = new Cipher([NEW], { acceptLegacy: false });

  before(async () => {
    db = await createTestDatabase();
    ds = await openDatabase(db.url);
    seeded = await seed(ds, legacy(OLD));
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('re-encrypts every legacy value (no associated data, old key) bound to its place with the write key in batches, auth_attempt columns included, readable with the new key alone, reporting counts and progress', async () => {
    const versionsBefore = (await ds.query(`SELECT id, credentials_version FROM connection ORDER BY id`)) as unknown[];
    const updatedBefore = (await ds.query(`SELECT id, updated_at FROM connection ORDER BY id`)) as unknown[];
    const progress: RotationProgress[] = [];
    const result = await rotateKeys({ dataSource: ds, cipher: rotating, batchSize: 500, onProgress: (p) => void progress.push(p) });

    expect(result.columns).to.deep.equal([
      { table: 'environment', column: 'secret_key_encrypted', rotated: 3, skipped: 0, incomplete: false },
      { table: 'environment', column: 'webhook_signing_key_encrypted', rotated: 3, skipped: 0, incomplete: false },
      { table: 'integration', column: 'client_secret_encrypted', rotated: 4, skipped: 0, incomplete: false },
      { table: 'integration', column: 'custom_secrets_encrypted', rotated: 2, skipped: 0, incomplete: false },
      { table: 'connection', column: 'credentials_encrypted', rotated: CONNECTIONS, skipped: 0, incomplete: false },
      { table: 'auth_attempt', column: 'secrets_encrypted', rotated: 1, skipped: 0, incomplete: false },
      { table: 'auth_attempt', column: 'pkce_verifier_encrypted', rotated: 2, skipped: 0, incomplete: false },
      { table: 'auth_attempt', column: 'request_token_secret_encrypted', rotated: 1, skipped: 0, incomplete: false },
      { table: 'auth_attempt', column: 'callback_params_encrypted', rotated: 2, skipped: 0, incomplete: false },
      { table: 'auth_attempt', column: 'credentials_encrypted', rotated: 1, skipped: 0, incomplete: false },
    ]);
    expect(result.total).to.equal(TOTAL);
    expect(result.complete).to.equal(true);

    // One progress report per batch: 500 + 500 + 200 connections, one batch for every other column.
    const connectionProgress = progress.filter((p) => p.table === 'connection');
    expect(connectionProgress.map((p) => [p.batchRotated, p.rotated, p.remaining])).to.deep.equal([
      [500, 500, 700],
      [500, 1000, 200],
      [200, 1200, 0],
    ]);
    expect(progress).to.have.length(3 + 9);

    await expectAllRotated(ds, seeded, newOnly, 'new');
    expect(await ds.query(`SELECT count(*)::int AS n FROM integration WHERE client_secret_encrypted IS NULL`)).to.deep.equal([{ n: 1 }]);
    expect(await ds.query(`SELECT id, credentials_version FROM connection ORDER BY id`)).to.deep.equal(versionsBefore);
    expect(await ds.query(`SELECT id, updated_at FROM connection ORDER BY id`)).to.deep.equal(updatedBefore);
  });

  it('rotates nothing on a second run', async () => {
    const progress: RotationProgress[] = [];
    const result = await rotateKeys({ dataSource: ds, cipher: rotating, onProgress: (p) => void progress.push(p) });
    expect(result.total).to.equal(0);
    expect(result.columns.every((c) => c.rotated === 0 && c.skipped === 0 && !c.incomplete)).to.equal(true);
    expect(progress).to.deep.equal([]);
    await expectAllRotated(ds, seeded, newOnly, 'new');
  });

  it('binds legacy values written by the write key itself (an upgrade that keeps its single key), and a second run rotates nothing', async () => {
    seeded = await reseed(ds, legacy(NEW));
    const sameKey = new Cipher([NEW]);
    const result = await rotateKeys({ dataSource: ds, cipher: sameKey, batchSize: 500 });
    expect(result.total).to.equal(TOTAL);
    expect(result.columns.map((c) => `${c.table}.${c.column}=${c.rotated}`)).to.include.members([
      'auth_attempt.secrets_encrypted=1',
      'auth_attempt.pkce_verifier_encrypted=2',
      'auth_attempt.request_token_secret_encrypted=1',
      'auth_attempt.callback_params_encrypted=2',
      'auth_attempt.credentials_encrypted=1',
    ]);
    expect(await countLegacy(ds, 'connection', 'credentials_encrypted', 'new')).to.equal(0);
    await expectAllRotated(ds, seeded, newOnly, 'new');
    const again = await rotateKeys({ dataSource: ds, cipher: sameKey });
    expect(again.total).to.equal(0);
  });

  it('refuses a bound value moved into another row instead of re-binding it there (naming the row, not the value)', async () => {
    seeded = await reseed(ds, bound(oldCipher));
    const [a, b] = (await ds.query(`SELECT id, credentials_encrypted AS value FROM connection ORDER BY id LIMIT 2`)) as [{ id: string; value: string }, { id: string }];
    await ds.query(`UPDATE connection SET credentials_encrypted = $1 WHERE id = $2`, [a.value, b.id]);
    let failure: unknown;
    await rotateKeys({ dataSource: ds, cipher: rotating, columns: [columnOf('connection', 'credentials_encrypted')] }).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).to.be.instanceOf(KeyRotationError);
    expect((failure as Error).message).to.include(`connection.credentials_encrypted of row ${b.id}`).and.to.include('decryption_failed');
    expect(await countBound(ds, 'connection', 'credentials_encrypted', 'new')).to.equal(0);
  });

  it('resumes after an interruption: committed batches stay rotated, the next run finishes the rest', async () => {
    seeded = await reseed(ds, legacy(OLD));
    let interrupted = false;
    const stopInConnections = (p: RotationProgress) => {
      if (p.table === 'connection' && !interrupted) {
        interrupted = true;
        throw new Error('interrupted');
      }
    };
    let failure: unknown;
    await rotateKeys({ dataSource: ds, cipher: rotating, batchSize: 500, onProgress: stopInConnections }).catch((error: unknown) => {
      failure = error;
    });
    expect((failure as Error).message).to.equal('interrupted');
    expect(await countBound(ds, 'connection', 'credentials_encrypted', 'new')).to.equal(500);
    expect(await countLegacy(ds, 'connection', 'credentials_encrypted', 'old')).to.equal(700);
    expect(await countLegacy(ds, 'auth_attempt', 'pkce_verifier_encrypted', 'old')).to.equal(2);

    const result = await rotateKeys({ dataSource: ds, cipher: rotating, batchSize: 500 });
    expect(result.columns.map((c) => c.rotated)).to.deep.equal([0, 0, 0, 0, 700, 1, 2, 1, 2, 1]);
    await expectAllRotated(ds, seeded, newOnly, 'new');
  });

  it('stops on a value under an unknown key, naming table, column and row id but no secret, and writes nothing of that batch', async () => {
    seeded = await reseed(ds, bound(oldCipher));
    const [env] = (await ds.query(`SELECT id FROM environment ORDER BY id LIMIT 1`)) as [{ id: string }];
    const [integration] = (await ds.query(`SELECT id FROM integration WHERE environment_id = $1 LIMIT 1`, [env.id])) as [{ id: string }];
    const plaintext = 'super-secret-access-token-value';
    const badId = '00000000-0000-4000-8000-000000000000'; // sorts first, so it is in the first batch
    await ds.query(`INSERT INTO connection (id, environment_id, integration_id, connection_id, credentials_encrypted) VALUES ($1, $2, $3, 'orphan', $4)`, [
      badId,
      env.id,
      integration.id,
      new Cipher([key('gone')]).encrypt(plaintext, columnOf('connection', 'credentials_encrypted'), badId),
    ]);
    let failure: unknown;
    await rotateKeys({ dataSource: ds, cipher: rotating, batchSize: 500 }).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).to.be.instanceOf(KeyRotationError);
    const message = (failure as Error).message;
    expect(message).to.include('connection.credentials_encrypted').and.to.include(badId).and.to.include('"gone"');
    expect(message).to.not.include(plaintext);
    expect(message).to.not.include(b64(OLD)).and.not.include(b64(NEW));
    // Columns before the bad one were rotated; the failing batch was rolled back whole.
    expect(await countBound(ds, 'environment', 'secret_key_encrypted', 'new')).to.equal(3);
    expect(await countBound(ds, 'connection', 'credentials_encrypted', 'new')).to.equal(0);
    await ds.query(`DELETE FROM connection WHERE id = $1`, [badId]);
  });

  it('skips a row changed concurrently and stops a column whose batch makes no progress instead of looping', async () => {
    seeded = await reseed(ds, legacy(OLD));
    const [stuck] = (await ds.query(`SELECT id FROM integration WHERE client_secret_encrypted IS NOT NULL ORDER BY id LIMIT 1`)) as [{ id: string }];
    // The stuck row's custom secrets, when it has some (row ids are random), are stuck the same way.
    const [{ has }] = (await ds.query(`SELECT custom_secrets_encrypted IS NOT NULL AS has FROM integration WHERE id = $1`, [stuck.id])) as [{ has: boolean }];
    const stuckValues = has ? 2 : 1;
    // Every UPDATE of this row silently does nothing, as if its value changed between SELECT and UPDATE each time.
    await ds.query(`CREATE FUNCTION ignore_stuck() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF OLD.id = '${stuck.id}' THEN RETURN NULL; END IF; RETURN NEW; END $$`);
    await ds.query(`CREATE TRIGGER ignore_stuck BEFORE UPDATE ON integration FOR EACH ROW EXECUTE FUNCTION ignore_stuck()`);
    try {
      const result = await rotateKeys({ dataSource: ds, cipher: rotating, batchSize: 500 });
      const integration = result.columns.find((c) => c.table === 'integration');
      // First batch: 3 rotated, 1 skipped; second batch: only the stuck row, no progress → stop.
      expect(integration).to.deep.equal({ table: 'integration', column: 'client_secret_encrypted', rotated: 3, skipped: 2, incomplete: true });
      expect(result.complete).to.equal(false);
      expect(result.total).to.equal(TOTAL - stuckValues);
    } finally {
      await ds.query(`DROP TRIGGER ignore_stuck ON integration`);
      await ds.query(`DROP FUNCTION ignore_stuck()`);
    }
    const rerun = await rotateKeys({ dataSource: ds, cipher: rotating });
    expect(rerun.total).to.equal(stuckValues);
    await expectAllRotated(ds, seeded, newOnly, 'new');
  });

  it('matches the write key id exactly (k_1 and k-1 must not take bound kx1 values for rotated ones)', async () => {
    const integrationOnly = [columnOf('integration', 'client_secret_encrypted')];
    const kx1 = key('kx1');
    for (const id of ['k_1', 'k-1']) {
      const target = key(id);
      seeded = await reseed(ds, bound(new Cipher([kx1])));
      const result = await rotateKeys({ dataSource: ds, cipher: new Cipher([target, kx1]), columns: integrationOnly });
      expect(result.total, id).to.equal(4);
      expect(await countBound(ds, 'integration', 'client_secret_encrypted', id), id).to.equal(4);
    }
  });

  it('runs end to end as `npm run keys:rotate` in production mode: progress, summary, exit 0, database rotated, no Temporal needed', async () => {
    seeded = await reseed(ds, legacy(OLD));
    const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', ENCRYPTION_KEYS: `new=${b64(NEW)},old=${b64(OLD)}` };
    const run = await runCli(['--batch-size', '500'], env);
    expect(run.stderr, run.stderr).to.not.include('failed');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include('connection.credentials_encrypted: 500 rotated');
    expect(run.stdout).to.include('connection.credentials_encrypted: 1000 rotated');
    expect(run.stdout).to.include('connection.credentials_encrypted: 1200 rotated');
    expect(run.stdout).to.include('Summary:');
    expect(run.stdout).to.include(`Done: ${TOTAL} values rotated`);
    expect(run.stdout + run.stderr).to.not.include(b64(NEW)).and.not.include(b64(OLD));
    await expectAllRotated(ds, seeded, newOnly, 'new');

    const again = await runCli([], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include('Done: 0 values rotated');
  });

  it('fails with exit code 1 and a one-line message on a bad flag or an unreadable value', async () => {
    const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', ENCRYPTION_KEYS: `new=${b64(NEW)}` };
    const badFlag = await runCli(['--batch-size', '0'], env);
    expect(badFlag.code).to.equal(1);
    expect(badFlag.stderr.trim().split('\n')).to.deep.equal(['keys:rotate failed: --batch-size must be a positive integer (got "0")']);

    seeded = await reseed(ds, legacy(OLD)); // written by "old", which this key ring no longer has
    const unknown = await runCli([], env);
    expect(unknown.code).to.equal(1);
    const lines = unknown.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^keys:rotate failed: Cannot decrypt environment\.secret_key_encrypted of row [0-9a-f-]{36} \(unknown_key_id/);
  });

  it('runs in dev mode on the embedded PGlite database under CUSTODIAN_DATA_DIR with the local dev key', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-rotate-'));
    try {
      const run = await runCli([], { CUSTODIAN_DATA_DIR: dataDir });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include('key "dev"').and.to.include('Done: 0 values rotated');
      expect(fs.existsSync(path.join(dataDir, 'pglite'))).to.equal(true);
      expect(fs.existsSync(path.join(dataDir, 'encryption-key'))).to.equal(true);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('dev encryption key', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-key-')), 'nested', '.data');
  });
  afterEach(() => {
    fs.rmSync(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
  });

  it('is created once (directory included) with mode 0600 as dev=<base64 of 32 bytes>, and read back unchanged', () => {
    const first = loadOrCreateDevEncryptionKey(dataDir);
    const file = path.join(dataDir, 'encryption-key');
    expect(first.id).to.equal('dev');
    expect(first.key).to.have.length(32);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).to.equal(`dev=${first.key.toString('base64')}`);
    const second = loadOrCreateDevEncryptionKey(dataDir);
    expect(second.id).to.equal('dev');
    expect(second.key.equals(first.key)).to.equal(true);
  });

  it('refuses a corrupt key file without echoing its content', () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'encryption-key'), 'dev=c2hvcnQ=\n', { mode: 0o600 });
    expect(() => loadOrCreateDevEncryptionKey(dataDir)).to.throw(/not kid=<base64 of 32 bytes>/).and.not.match(/c2hvcnQ/);
  });

  it('resolveEncryptionKeys: ENCRYPTION_KEYS as is when set (dev mode too), else the dev key under the data directory', () => {
    const a = key('a');
    const configured = parseConfig({ CUSTODIAN_DATA_DIR: dataDir, ENCRYPTION_KEYS: `a=${b64(a)}` });
    expect(configured.mode).to.equal('dev');
    expect(resolveEncryptionKeys(configured)).to.equal(configured.encryptionKeys);
    expect(fs.existsSync(path.join(dataDir, 'encryption-key'))).to.equal(false);

    const dev = resolveEncryptionKeys(parseConfig({ CUSTODIAN_DATA_DIR: dataDir }));
    expect(dev.map((k) => k.id)).to.deep.equal(['dev']);
    const again = resolveEncryptionKeys(parseConfig({ CUSTODIAN_DATA_DIR: dataDir }));
    expect(again[0]?.key.equals(dev[0]?.key as Buffer)).to.equal(true);
  });
});
