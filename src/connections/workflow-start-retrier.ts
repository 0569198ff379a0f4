/**
 * The worker's retry of workflow starts that failed after credentials were stored
 * ({@link PendingWorkflowStarts}): every WORKFLOW_START_RETRY_INTERVAL it tells the longest-waiting
 * connections' workflows about their credentials (signal-with-start, as an import does) and forgets
 * them; a deleted connection is forgotten without a start. While Temporal is still unreachable a pass
 * stops at the first failure and the next interval tries again. Several workers may run it at once:
 * a second signal only makes a workflow read its row again.
 */
import type { Logger } from '../logger';
import { isTemporalUnavailable } from '../temporal/temporal-unavailable';
import type { ConnectionWorkflows } from './connection-workflows';
import type { PendingWorkflowStarts } from './pending-workflow-starts';

/** Connections one pass handles at most. */
const PER_PASS = 100;

export interface RetryPass {
  started: number;
  gone: number;
  failed: number;
}

export class WorkflowStartRetrier {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: {
      pending: PendingWorkflowStarts;
      workflows: Pick<ConnectionWorkflows, 'credentialsStored'>;
      logger: Logger;
      intervalMs: number;
    },
  ) {}

  /** One pass over the longest-waiting connections. */
  async retryOnce(): Promise<RetryPass> {
    const outcome: RetryPass = { started: 0, gone: 0, failed: 0 };
    for (const pending of await this.deps.pending.oldest(PER_PASS)) {
      if (pending.deleted) {
        await this.deps.pending.forget(pending);
        outcome.gone += 1;
        continue;
      }
      try {
        await this.deps.workflows.credentialsStored(pending.ref);
      } catch (error) {
        outcome.failed += 1;
        if (isTemporalUnavailable(error)) break;
        this.deps.logger.warn({ connection: pending.ref.connection.id, reason: error instanceof Error ? error.message : String(error) }, 'connection workflow still not started; retrying later');
        continue;
      }
      await this.deps.pending.forget(pending);
      outcome.started += 1;
    }
    if (outcome.started > 0) this.deps.logger.info({ ...outcome }, 'started connection workflows whose start had failed');
    return outcome;
  }

  /** Runs a pass every interval until {@link stop}. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops the loop after the pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.retryOnce()
        .catch((error: unknown) => this.deps.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'pending workflow starts not read; retrying later'))
        .finally(() => this.schedule());
    }, this.deps.intervalMs).unref();
  }
}
