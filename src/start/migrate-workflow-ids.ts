/**
 * Moves connection workflows from the ids used before their parts were encoded
 * (`connection:<env>:<integration>:<connection id>`, a plain join two connections could share) to
 * the encoded ids of workflows/connection-identity.ts. Only rows with `%` or `:` in a part have a
 * different id. Run by every worker at start: idempotent, and safe when several workers run it at once.
 *
 * 1. For each such live row, a running workflow under its legacy id whose input names this row is
 *    terminated ("migrated"). A legacy workflow whose input names another row is left to that row.
 * 2. Then each such row gets its workflow under the new id (started with USE_EXISTING, so a
 *    workflow another worker or the API already started is kept), unless the new id is held by a
 *    running workflow of another row (possible only while that row's legacy workflow is unmigrated).
 * Both steps run a page of rows at a time. Terminating first means no two workflows of one row
 * refresh side by side; the moment between the two steps is covered by the API, which starts a
 * missing workflow when it needs one.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { connectionWorkflowStartOptions, type ConnectionRef } from '../connections/connection-workflows';
import { connectionWorkflowId, legacyConnectionWorkflowId, workflowIdChanged } from '../../workflows/connection-identity';
import type { ConnectionWorkflowInput } from '../../workflows/connection-messages';

/** Rows read per query, by default. */
const PAGE_SIZE = 200;
/** How long a legacy run's activity in flight (a refresh at the provider) is waited for before the run is terminated. */
const ACTIVITY_WAIT_MS = 65_000;
const ACTIVITY_POLL_MS = 250;

export interface WorkflowIdMigrationReport {
  /** Live rows whose workflow id changed. */
  rows: number;
  /** Legacy workflows terminated (each one ran for its own row). */
  terminated: number;
  /** New-id workflows started (a row already served by one is not counted). */
  started: number;
  /** Rows whose new id is held by another row's workflow: left for a later run. */
  blocked: number;
  /** Rows a Temporal call failed for (logged; a later run retries). */
  failed: number;
}

export interface WorkflowIdMigrationOptions {
  db: DataSource;
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** Stops the pass (process shutdown): no row is started on after it fires. */
  signal?: AbortSignal;
  /** Rows per page (default 200). */
  pageSize?: number;
}

interface CandidateRow {
  id: string;
  connection_id: string;
  unique_key: string;
  environment_name: string;
}

/** Runs both steps, a page of rows at a time, over every live row whose workflow id changed; returns what it did. */
export async function migrateWorkflowIds(options: WorkflowIdMigrationOptions): Promise<WorkflowIdMigrationReport> {
  const report: WorkflowIdMigrationReport = { rows: 0, terminated: 0, started: 0, blocked: 0, failed: 0 };
  let blocked: ConnectionRef[] = [];
  for await (const page of candidatePages(options.db, options.pageSize ?? PAGE_SIZE)) {
    if (options.signal?.aborted) return report;
    report.rows += page.length;
    for (const ref of page) {
      if (options.signal?.aborted) return report;
      await guarded(options.logger, report, ref, async () => {
        if (await closeLegacyWorkflow(options, ref)) report.terminated += 1;
      });
    }
    blocked.push(...(await startNewWorkflows(options, report, page)));
  }
  // A row's new id may have been held by a legacy workflow of a row on a later page, terminated since.
  if (blocked.length > 0 && !options.signal?.aborted) blocked = await startNewWorkflows(options, report, blocked);
  report.blocked = blocked.length;
  for (const ref of blocked) {
    options.logger.warn({ connection: ref.connection.id }, 'the new workflow id of a connection is held by another connection\'s workflow; the next worker start retries');
  }
  return report;
}

/** Step 2 for some rows; returns those whose new id is held by another row's workflow. */
async function startNewWorkflows(options: WorkflowIdMigrationOptions, report: WorkflowIdMigrationReport, refs: ConnectionRef[]): Promise<ConnectionRef[]> {
  const blocked: ConnectionRef[] = [];
  for (const ref of refs) {
    if (options.signal?.aborted) break;
    await guarded(options.logger, report, ref, async () => {
      const outcome = await ensureNewWorkflow(options, ref);
      if (outcome === 'started') report.started += 1;
      if (outcome === 'blocked') blocked.push(ref);
    });
  }
  return blocked;
}

async function guarded(logger: Logger, report: WorkflowIdMigrationReport, ref: ConnectionRef, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    report.failed += 1;
    logger.warn({ err: error, connection: ref.connection.id }, 'workflow id migration failed for a connection; the next worker start retries');
  }
}

/** Live connections with `%` or `:` in a part, in pages by row id (keyset, so rows added meanwhile do not shift a page). */
async function* candidatePages(db: DataSource, pageSize: number): AsyncGenerator<ConnectionRef[]> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = (await db.query(
      `SELECT c.id, c.connection_id, i.unique_key, e.name AS environment_name
         FROM connection c JOIN integration i ON i.id = c.integration_id JOIN environment e ON e.id = c.environment_id
        WHERE c.deleted_at IS NULL AND c.id > $1
          AND (strpos(c.connection_id, ':') > 0 OR strpos(c.connection_id, '%') > 0
            OR strpos(i.unique_key, ':') > 0 OR strpos(i.unique_key, '%') > 0
            OR strpos(e.name, ':') > 0 OR strpos(e.name, '%') > 0)
        ORDER BY c.id LIMIT $2`,
      [after, pageSize],
    )) as CandidateRow[];
    yield rows
      .filter((row) => workflowIdChanged(row.environment_name, row.unique_key, row.connection_id))
      .map((row) => ({ environment: { name: row.environment_name }, integration: { uniqueKey: row.unique_key }, connection: { id: row.id, connectionId: row.connection_id } }));
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** Terminates the row's running legacy workflow; true when it did. */
async function closeLegacyWorkflow({ client, signal }: WorkflowIdMigrationOptions, ref: ConnectionRef): Promise<boolean> {
  const legacyId = legacyConnectionWorkflowId(ref.environment.name, ref.integration.uniqueKey, ref.connection.connectionId);
  const running = await runningOwner(client, legacyId);
  if (!running || running.connectionRowId !== ref.connection.id) return false;
  const newId = connectionWorkflowId(ref.environment.name, ref.integration.uniqueKey, ref.connection.connectionId);
  // A refresh cut off at the provider could lose a rotated refresh token: let the run's activity finish first.
  await activitiesFinished(client, legacyId, running.runId, signal);
  if (signal?.aborted) return false;
  try {
    // Bound to the run that was inspected: a run started meanwhile (by anyone) is judged on a later start.
    await client.workflow.getHandle(legacyId, running.runId).terminate(`migrated to workflow id ${newId}`);
    return true;
  } catch (error) {
    // Another worker migrating at the same time closed it first.
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/**
 * Waits (bounded) until the run has no activity in flight and no workflow task pending: the task that
 * follows a finished refresh is what completes a caller's Update, so terminating before it loses the answer.
 */
async function activitiesFinished(client: Client, workflowId: string, runId: string, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + ACTIVITY_WAIT_MS;
  while (Date.now() < deadline && !signal?.aborted) {
    const description = await client.workflow.getHandle(workflowId, runId).describe();
    const idle = (description.raw.pendingActivities ?? []).length === 0 && !description.raw.pendingWorkflowTask;
    if (description.status.name !== 'RUNNING' || idle) return;
    await new Promise((resolve) => setTimeout(resolve, ACTIVITY_POLL_MS));
  }
}

/** Makes sure the row's workflow runs under its new id. */
async function ensureNewWorkflow(options: WorkflowIdMigrationOptions, ref: ConnectionRef): Promise<'started' | 'running' | 'blocked'> {
  const newId = connectionWorkflowId(ref.environment.name, ref.integration.uniqueKey, ref.connection.connectionId);
  const running = await runningOwner(options.client, newId);
  if (running?.connectionRowId === ref.connection.id) return 'running';
  if (running) return 'blocked';
  await options.client.workflow.start('connectionWorkflow', { ...connectionWorkflowStartOptions(ref, options.taskQueue), workflowIdConflictPolicy: 'USE_EXISTING' });
  return 'started';
}

/** The running run under this id and the connection row its input names, or null when none runs. */
async function runningOwner(client: Client, workflowId: string): Promise<{ runId: string; connectionRowId: string | null } | null> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  if (description.status.name !== 'RUNNING') return null;
  // The first event of the run holds its input; continue-as-new carries the same connectionRowId.
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload ? defaultPayloadConverter.fromPayload<Partial<ConnectionWorkflowInput> | null>(payload) : null;
  return { runId: description.runId, connectionRowId: typeof input?.connectionRowId === 'string' ? input.connectionRowId : null };
}
