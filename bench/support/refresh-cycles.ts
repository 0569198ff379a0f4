/**
 * What one steady-state refresh cycle of a connection workflow costs in its history: the events from
 * one `refreshCredentials` activity being scheduled to the next one in the same run, and their billable
 * actions (bench/history-cost.ts: Temporal Cloud's rules as README states them).
 */
import type { HistoryEvent } from '../../test/support/workflow-history';
import { historyCost } from '../history-cost';

export interface CycleCost {
  events: number;
  billableActions: number;
}

/** The cycles of one run's history between consecutive refreshes (the first, which starts the run, is not one). */
export function refreshCycles(events: readonly HistoryEvent[]): CycleCost[] {
  const scheduled = events.flatMap((event, index) => (event.activityTaskScheduledEventAttributes?.activityType?.name === 'refreshCredentials' ? [index] : []));
  const cycles: CycleCost[] = [];
  for (let k = 1; k < scheduled.length; k++) {
    const cost = historyCost(events.slice(scheduled[k - 1], scheduled[k]));
    cycles.push({ events: cost.events, billableActions: cost.actions });
  }
  return cycles;
}
