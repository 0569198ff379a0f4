/**
 * The import benchmark's baseline worker (`tsx bench/baseline/import-worker.ts`), a process of its own like
 * Custodian's: runs {@link importBaselineWorkflow} on TASK_QUEUE, its activity reading the row with `pg`.
 * Prints `ready <task queue>` once it polls; stops on SIGTERM.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import path from 'node:path';
import { Pool } from 'pg';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: path.join(__dirname, 'one-activity-workflow.ts'),
    activities: {
      readImportedRow: async (id: string) => {
        await pool.query('SELECT id, credentials_encrypted FROM connection WHERE id = $1', [id]);
      },
    },
  });
  const running = worker.run();
  process.stdout.write(`ready ${process.env.TASK_QUEUE}\n`);
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
  await pool.end();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
