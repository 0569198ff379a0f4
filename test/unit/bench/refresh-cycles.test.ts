import { expect } from 'chai';
import { temporal } from '@temporalio/proto';
import { refreshCycles } from '../../../bench/support/refresh-cycles';
import type { HistoryEvent } from '../../support/workflow-history';

const EventType = temporal.api.enums.v1.EventType;
const task = (): HistoryEvent[] => [
  { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, workflowTaskScheduledEventAttributes: {} },
  { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflowTaskStartedEventAttributes: {} },
  { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, workflowTaskCompletedEventAttributes: {} },
];
const activity = (name: string, attempt = 1): HistoryEvent[] => [
  { eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activityTaskScheduledEventAttributes: { activityType: { name } } },
  { eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { attempt } },
  { eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, activityTaskCompletedEventAttributes: {} },
];
/** A refresh, its publication and the sleep to the next one: what a steady-state cycle writes. */
const cycle = (attempt = 1): HistoryEvent[] => [
  ...activity('refreshCredentials', attempt),
  ...task(),
  { eventType: EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, upsertWorkflowSearchAttributesEventAttributes: {} },
  { eventType: EventType.EVENT_TYPE_TIMER_STARTED, timerStartedEventAttributes: {} },
  { eventType: EventType.EVENT_TYPE_TIMER_FIRED, timerFiredEventAttributes: {} },
  ...task(),
];

describe('bench: refresh cycles read from a connection workflow history', () => {
  it('a cycle runs from one refreshCredentials schedule to the next; the run before the first refresh is none', () => {
    const history: HistoryEvent[] = [{ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }, ...task(), ...activity('describeConnection'), ...task(), ...cycle(), ...cycle(3), ...activity('refreshCredentials')];
    expect(refreshCycles(history)).to.deep.equal([
      { events: 12, billableActions: 3 },
      // Two retries of the refresh: two more actions, no more events.
      { events: 12, billableActions: 5 },
    ]);
    expect(refreshCycles([...task(), ...activity('describeConnection')])).to.deep.equal([]);
  });
});
