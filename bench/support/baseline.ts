/** The storm's baseline: one-activity workflows on their own task queue, and the worker process that runs them (bench/baseline/). */
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startCustodianProcess, waitForOutput, type CustodianProcess } from '../../test/support/custodian-process';
import type { HistoryEvent } from '../../test/support/workflow-history';
import type { DevServer } from './dev-server';

const ROOT = path.join(__dirname, '..', '..');
const READY_TIMEOUT_MS = 120_000;

export interface Baseline {
  /** Starts workflow `baseline-<index>`. */
  start(index: number, activityMs: number): Promise<void>;
  /** The history of workflow `baseline-<index>`. */
  history(index: number): Promise<HistoryEvent[]>;
  /** Starts the worker process and waits until it polls. */
  runWorker(): Promise<CustodianProcess>;
  /** Completed workflows of this task queue (visibility). */
  completed(): Promise<number>;
  close(): Promise<void>;
}

export async function startBaselineWorker(temporal: DevServer): Promise<Baseline> {
  const client = new Client({ connection: temporal.connection });
  const taskQueue = `baseline-${randomUUID()}`;
  const workers: CustodianProcess[] = [];
  const workflowIdOf = (index: number) => `baseline-${index}-${taskQueue}`;
  return {
    start: async (index, activityMs) => {
      await client.workflow.start('oneActivityWorkflow', { taskQueue, workflowId: workflowIdOf(index), args: [activityMs] });
    },
    history: async (index) => (await client.workflow.getHandle(workflowIdOf(index)).fetchHistory()).events ?? [],
    runWorker: async () => {
      // The role argument startCustodianProcess appends is ignored by the baseline worker.
      const worker = startCustodianProcess('worker', { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue }, { argv: ['node', '--require', 'tsx/cjs', 'bench/baseline/storm-worker.ts'], cwd: ROOT });
      workers.push(worker);
      if (!(await waitForOutput(worker, 'baseline worker running', READY_TIMEOUT_MS))) throw new Error(`the baseline worker did not start:\n${worker.output().slice(-2000)}`);
      return worker;
    },
    completed: async () => (await client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`)).count,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.stop()));
    },
  };
}
