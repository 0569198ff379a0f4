/** The baseline of the storm benchmark: a workflow that runs one activity and completes. */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';

const { pause } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '1 minute' });

export async function oneActivityWorkflow(ms: number): Promise<void> {
  await pause(ms);
}
