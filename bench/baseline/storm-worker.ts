/**
 * The baseline worker process (`TEMPORAL_ADDRESS`, `TEMPORAL_TASK_QUEUE`): the Temporal SDK's defaults,
 * the one-activity workflow. Prints "baseline worker running" once it polls; stops on SIGTERM/SIGINT.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { baselineActivities } from './activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'baseline',
    workflowsPath: require.resolve('./workflows'),
    activities: baselineActivities,
  });
  const running = worker.run();
  console.log('baseline worker running');
  await running;
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
