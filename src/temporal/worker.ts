/** Worker bootstrap: one worker on the configured task queue running workflows/ and the given activities. */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../config';
import { temporalConnectionOptions } from './connection-options';

/** Where the deterministic workflow code lives; the worker bundles it. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Creates (does not run) a worker with the configured connection, namespace and task queue. */
export async function createWorker(options: {
  config: Pick<Config, 'temporal'>;
  activities: object;
  /** An existing connection (tests); otherwise one is opened from the config. */
  connection?: NativeConnection;
}): Promise<Worker> {
  const connection = options.connection ?? (await NativeConnection.connect(temporalConnectionOptions(options.config)));
  return Worker.create({
    connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.config.temporal.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: options.activities,
  });
}
