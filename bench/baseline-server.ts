/**
 * The benchmarks' baselines, each a bare Koa server in a process of its own (`tsx bench/baseline-server.ts <kind>`):
 * - `read`: reads the connection row named by the request from PostgreSQL with `pg` and answers it as stored.
 * - `import`: a JSON POST: inserts a connection row with its credentials (as JSON, unencrypted) with `pg`,
 *   starts a one-activity workflow for it (bench/baseline/one-activity-workflow.ts) on TASK_QUEUE and answers 201.
 * Prints `ready <url>` once it listens; stops on SIGTERM.
 */
import { Client, Connection } from '@temporalio/client';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import getRawBody from 'raw-body';

const READ_ROW = 'SELECT id, credentials_encrypted, expires_at FROM connection WHERE environment_id = $1 AND integration_id = $2 AND connection_id = $3 AND deleted_at IS NULL';
const INSERT_ROW = 'INSERT INTO connection (id, environment_id, integration_id, connection_id, credentials_encrypted, expires_at) VALUES ($1, $2, $3, $4, $5, $6)';

async function main(kind: string): Promise<void> {
  // The pool size of Custodian's data source.
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const app = new Koa();
  if (kind === 'read') {
    app.use(async (ctx) => {
      const { rows } = await pool.query(READ_ROW, [ctx.get('x-environment'), ctx.get('x-integration'), ctx.get('x-connection')]);
      ctx.body = rows[0];
    });
  } else if (kind === 'import') {
    const temporal = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS }) });
    app.use(async (ctx) => {
      const body = JSON.parse(await getRawBody(ctx.req, { encoding: 'utf8', limit: '1mb' })) as { credentials: { expires_at?: string } };
      const id = randomUUID();
      await pool.query(INSERT_ROW, [id, ctx.get('x-environment'), ctx.get('x-integration'), randomUUID(), JSON.stringify(body.credentials), body.credentials.expires_at ?? null]);
      await temporal.workflow.start('importBaselineWorkflow', { taskQueue: process.env.TASK_QUEUE!, workflowId: `import-baseline-${id}`, args: [id] });
      ctx.status = 201;
      ctx.body = { id };
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
