import { expect } from 'chai';
import { parseConfig } from '../../../src/config';
import { workerTuningOptions } from '../../../src/temporal/worker';

describe('worker tuning (WORKER_*) as Worker.create options', () => {
  it('leaves out what is unset, so the SDK defaults apply (the cache has a default of its own)', () => {
    expect(workerTuningOptions(parseConfig({}).worker)).to.deep.equal({ maxCachedWorkflows: 500 });
    expect(workerTuningOptions({})).to.deep.equal({});
  });

  it('passes slots and the cache size as they are, and pollers as a simple maximum', () => {
    const config = parseConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20', WORKER_MAX_CONCURRENT_ACTIVITIES: '50', WORKER_MAX_CACHED_WORKFLOWS: '0', WORKER_WORKFLOW_POLLERS: '4', WORKER_ACTIVITY_POLLERS: '6' });
    expect(workerTuningOptions(config.worker)).to.deep.equal({
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentActivityTaskExecutions: 50,
      maxCachedWorkflows: 0,
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 6 },
    });
  });
});
