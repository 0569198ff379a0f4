/**
 * The benchmarks' baselines, each a bare Koa server in a process of its own (`tsx bench/baseline-server.ts <kind>`):
 * - `read`: reads the connection row named by the request from PostgreSQL with `pg` and answers it as stored.
 * Prints `ready <url>` once it listens; stops on SIGTERM.
 */
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';

const READ_ROW = 'SELECT id, credentials_encrypted, expires_at FROM connection WHERE environment_id = $1 AND integration_id = $2 AND connection_id = $3 AND deleted_at IS NULL';

async function main(kind: string): Promise<void> {
  // The pool size of Custodian's data source.
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const app = new Koa();
  if (kind === 'read') {
    app.use(async (ctx) => {
      const { rows } = await pool.query(READ_ROW, [ctx.get('x-environment'), ctx.get('x-integration'), ctx.get('x-connection')]);
      ctx.body = rows[0];
    });
  } else {
    throw new Error(`unknown baseline ${kind}`);
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  process.stdout.write(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  });
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
