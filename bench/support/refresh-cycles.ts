/**
 * What one steady-state refresh cycle of a connection workflow costs in its history: the events from
 * one `refreshCredentials` activity being scheduled to the next one in the same run, and of those the
 * billable actions by Temporal Cloud's rules (README, Benchmarks).
 */
import type { HistoryEvent } from '../../test/support/workflow-history';

export interface CycleCost {
  events: number;
  billableActions: number;
}

/** One action per event of these kinds (activities: one per attempt, counted apart). */
const ONE_ACTION: ReadonlyArray<keyof HistoryEvent> = [
  // A workflow start, by a client or by continue-as-new (the new run's first event; the old run's ContinuedAsNew is not counted again).
  'workflowExecutionStartedEventAttributes',
  'timerStartedEventAttributes',
  'upsertWorkflowSearchAttributesEventAttributes',
  'workflowPropertiesModifiedEventAttributes',
  'workflowExecutionSignaledEventAttributes',
  'workflowExecutionUpdateAcceptedEventAttributes',
  'startChildWorkflowExecutionInitiatedEventAttributes',
  'signalExternalWorkflowExecutionInitiatedEventAttributes',
  // Local activities: Temporal Cloud counts the local activities of one workflow task as one action; a marker each is an upper bound.
  'markerRecordedEventAttributes',
];

/** Billable actions of a stretch of history. */
export function billableActions(events: readonly HistoryEvent[]): number {
  let actions = 0;
  for (const event of events) {
    if (ONE_ACTION.some((kind) => event[kind] != null)) actions += 1;
    // An activity costs one action per attempt; the Started event of its last attempt carries the attempt number.
    const started = event.activityTaskStartedEventAttributes;
    if (started) actions += Math.max(1, started.attempt ?? 1);
  }
  return actions;
}

/** The cycles of one run's history between consecutive refreshes (the first, which starts the run, is not one). */
export function refreshCycles(events: readonly HistoryEvent[]): CycleCost[] {
  const scheduled = events.flatMap((event, index) => (event.activityTaskScheduledEventAttributes?.activityType?.name === 'refreshCredentials' ? [index] : []));
  const cycles: CycleCost[] = [];
  for (let k = 1; k < scheduled.length; k++) {
    const stretch = events.slice(scheduled[k - 1], scheduled[k]);
    cycles.push({ events: stretch.length, billableActions: billableActions(stretch) });
  }
  return cycles;
}
