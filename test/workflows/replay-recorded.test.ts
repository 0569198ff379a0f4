import { expect } from 'chai';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { workflowBundle } from '../support/lifecycle';

const DIR = path.join(__dirname, 'fixtures', 'histories');

function recorded(file: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
}

/**
 * Histories recorded by earlier workflow code (test/workflows/fixtures/record-connection-histories.ts; runs
 * started without a revision, with their patch markers and describeConnection activities) still replay on
 * today's code: a worker upgraded while those runs sleep picks them up without a nondeterminism error.
 */
describe('connection workflow: histories recorded by earlier code replay on today’s', function () {
  this.timeout(120_000);
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay, with patch markers and describeConnection activities', () => {
    expect(files.length).to.be.at.least(2);
    for (const file of files) {
      const events = recorded(file).events ?? [];
      expect(events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'), file).to.equal(true);
      expect(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'describeConnection'), file).to.equal(true);
    }
  });

  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
    it(`replays ${file}`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded(file));
    });
  }
});
