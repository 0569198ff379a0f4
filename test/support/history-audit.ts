/**
 * Searches every workflow history of a Temporal test environment for known secrets. Servers that can
 * list executions (the dev server) are listed; the Java time-skipping server cannot, so workers of the
 * suite record every run they execute an activity for (every run of ours executes at least one).
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { historyText } from './workflow-history';
import { knownSecrets } from './secret-registry';

export interface AuditResult {
  histories: number;
  events: number;
  /** `workflowId/runId: secret prefix` for each hit. */
  hits: string[];
}

interface Execution {
  workflowId: string;
  runId: string;
}

const executed = new Map<string, Execution>();

/** Worker interceptor recording each workflow run that executes an activity. */
export const recordExecutions: ActivityInterceptorsFactory = (ctx) => {
  const execution = ctx.info.workflowExecution;
  if (execution) executed.set(`${execution.workflowId}/${execution.runId}`, { workflowId: execution.workflowId, runId: execution.runId });
  return {};
};

async function listed(client: Client): Promise<Execution[] | null> {
  const all: Execution[] = [];
  try {
    for await (const execution of client.workflow.list()) all.push({ workflowId: execution.workflowId, runId: execution.runId });
  } catch (error) {
    if (/UNIMPLEMENTED/.test(String((error as Error).cause ?? error))) return null;
    throw error;
  }
  return all;
}

/** Searches the full history of every execution of the environment. */
export async function auditHistories(client: Client): Promise<AuditResult> {
  const secrets = knownSecrets();
  const result: AuditResult = { histories: 0, events: 0, hits: [] };
  const executions = (await listed(client)) ?? [...executed.values()];
  for (const execution of executions) {
    let events;
    try {
      events = (await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()).events ?? [];
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) continue; // recorded by a worker of another environment
      throw error;
    }
    executed.delete(`${execution.workflowId}/${execution.runId}`);
    result.histories += 1;
    result.events += events.length;
    const text = historyText(events);
    for (const secret of secrets) if (text.includes(secret)) result.hits.push(`${execution.workflowId}/${execution.runId}: ${secret.slice(0, 6)}…`);
  }
  return result;
}
