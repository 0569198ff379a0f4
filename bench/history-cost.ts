/**
 * What a workflow history costs: its events, and its billable actions counted by Temporal Cloud's rules
 * as we apply them (one action per workflow start or continue-as-new, activity scheduled, timer started,
 * signal, accepted Update, search-attribute or memo upsert, child workflow started, marker recorded).
 * Activity retries are actions too; they show as an attempt count, not as events, so they are added.
 */
import { temporal } from '@temporalio/proto';
import type { HistoryEvent } from '../test/support/workflow-history';

const EventType = temporal.api.enums.v1.EventType;

const BILLABLE = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  EventType.EVENT_TYPE_MARKER_RECORDED,
]);

export interface HistoryCost {
  events: number;
  actions: number;
  /** Activities scheduled, by type name. */
  activities: Record<string, number>;
}

export function historyCost(events: readonly HistoryEvent[]): HistoryCost {
  const cost: HistoryCost = { events: events.length, actions: 0, activities: {} };
  for (const event of events) {
    if (BILLABLE.has(event.eventType ?? 0)) cost.actions += 1;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const name = scheduled.activityType?.name ?? '?';
      cost.activities[name] = (cost.activities[name] ?? 0) + 1;
    }
    const started = event.activityTaskStartedEventAttributes;
    // The started event is written once, with the attempt that finished: the attempts before it were retries.
    if (started) cost.actions += Math.max(0, (started.attempt ?? 1) - 1);
  }
  return cost;
}

export function addCosts(costs: readonly HistoryCost[]): HistoryCost {
  const total: HistoryCost = { events: 0, actions: 0, activities: {} };
  for (const cost of costs) {
    total.events += cost.events;
    total.actions += cost.actions;
    for (const [name, count] of Object.entries(cost.activities)) total.activities[name] = (total.activities[name] ?? 0) + count;
  }
  return total;
}
