import { expect } from 'chai';
import { billableActions, refreshCycles } from '../../../bench/support/refresh-cycles';
import type { HistoryEvent } from '../../support/workflow-history';

const task = (): HistoryEvent[] => [{ workflowTaskScheduledEventAttributes: {} }, { workflowTaskStartedEventAttributes: {} }, { workflowTaskCompletedEventAttributes: {} }];
const activity = (name: string, attempt = 1): HistoryEvent[] => [
  { activityTaskScheduledEventAttributes: { activityType: { name } } },
  { activityTaskStartedEventAttributes: { attempt } },
  { activityTaskCompletedEventAttributes: {} },
];
/** A refresh, its publication and the sleep to the next one: what a steady-state cycle writes. */
const cycle = (attempt = 1): HistoryEvent[] => [
  ...activity('refreshCredentials', attempt),
  ...task(),
  { upsertWorkflowSearchAttributesEventAttributes: {} },
  { timerStartedEventAttributes: {} },
  { timerFiredEventAttributes: {} },
  ...task(),
];

describe('bench: refresh cycles read from a connection workflow history', () => {
  it('a cycle runs from one refreshCredentials schedule to the next; the run before the first refresh is none', () => {
    const history: HistoryEvent[] = [{ workflowExecutionStartedEventAttributes: {} }, ...task(), ...activity('describeConnection'), ...task(), ...cycle(), ...cycle(), ...activity('refreshCredentials')];
    expect(refreshCycles(history)).to.deep.equal([
      { events: 12, billableActions: 3 },
      { events: 12, billableActions: 3 },
    ]);
    expect(refreshCycles([...task(), ...activity('describeConnection')])).to.deep.equal([]);
  });

  it('counts an activity once per attempt, and workflow starts, signals, Updates, memo upserts and markers once each', () => {
    expect(billableActions(cycle(3))).to.equal(5);
    const once: HistoryEvent[] = [
      { workflowExecutionStartedEventAttributes: {} },
      { workflowExecutionSignaledEventAttributes: {} },
      { workflowExecutionUpdateAcceptedEventAttributes: {} },
      { workflowPropertiesModifiedEventAttributes: {} },
      { markerRecordedEventAttributes: {} },
      { startChildWorkflowExecutionInitiatedEventAttributes: {} },
      { signalExternalWorkflowExecutionInitiatedEventAttributes: {} },
    ];
    expect(billableActions(once)).to.equal(once.length);
    expect(billableActions([...task(), { timerFiredEventAttributes: {} }, { activityTaskCompletedEventAttributes: {} }, { workflowExecutionContinuedAsNewEventAttributes: {} }])).to.equal(0);
  });
});
