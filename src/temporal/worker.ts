/** Worker bootstrap: one worker on the configured task queue running workflows/ and the given activities. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config, WorkerTuning } from '../config';
import { temporalConnectionOptions } from './connection-options';

/** Where the deterministic workflow code lives; the worker bundles it. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Creates (does not run) a worker with the configured connection, namespace, task queue and tuning. */
export async function createWorker(options: {
  config: Pick<Config, 'temporal' | 'worker'>;
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
    ...workerTuningOptions(options.config.worker),
  });
}

/** The WORKER_* settings as SDK options; what is unset is left out, so the SDK's default applies. */
export function workerTuningOptions(tuning: WorkerTuning): Partial<WorkerOptions> {
  const options: Partial<WorkerOptions> = {
    maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
    maxCachedWorkflows: tuning.maxCachedWorkflows,
    workflowTaskPollerBehavior: tuning.workflowPollers === undefined ? undefined : { type: 'simple-maximum', maximum: tuning.workflowPollers },
    activityTaskPollerBehavior: tuning.activityPollers === undefined ? undefined : { type: 'simple-maximum', maximum: tuning.activityPollers },
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
