import { expect } from 'chai';
import { msToTs } from '@temporalio/common/lib/time';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createDevServerEnv, createTimeSkippingEnv } from '../support/temporal-env';
import type { longSleep, tagStatus } from './fixtures/long-sleep';

const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;

describe('Temporal servers', function () {
  this.timeout(120_000);
  let bundle: WorkflowBundleWithSourceMap;

  before(async () => {
    bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/long-sleep'), logger: undefined });
  });

  describe('time-skipping test server', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      env = await createTimeSkippingEnv();
    });
    after(async () => {
      await env?.teardown();
    });

    it('completes a workflow that sleeps 30 days in seconds of wall time', async () => {
      const taskQueue = `tq-${randomUUID()}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
      const wallStart = Date.now();
      const elapsed = await worker.runUntil(
        env.client.workflow.execute<typeof longSleep>('longSleep', { taskQueue, workflowId: `sleep-${randomUUID()}`, args: [30] }),
      );
      const wallMs = Date.now() - wallStart;
      expect(elapsed).to.be.at.least(THIRTY_DAYS_MS);
      expect(wallMs).to.be.below(30_000);
    });
  });

  describe('CLI dev server', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      env = await createDevServerEnv();
    });
    after(async () => {
      await env?.teardown();
    });

    it('lists a finished workflow by the CustodianStatus search attribute', async () => {
      const taskQueue = `tq-${randomUUID()}`;
      const status = `status-${randomUUID().slice(0, 8)}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
      const runId = await worker.runUntil(
        env.client.workflow.execute<typeof tagStatus>('tagStatus', { taskQueue, workflowId: `tag-${randomUUID()}`, args: [status] }),
      );
      let found: string[] = [];
      // Visibility is eventually consistent: poll briefly, bounded.
      for (let i = 0; i < 50 && found.length === 0; i++) {
        found = [];
        for await (const wf of env.client.workflow.list({ query: `CustodianStatus = '${status}'` })) found.push(wf.runId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(found).to.deep.equal([runId]);
    });

    it('registers the search attributes on a namespace that lacks them, once', async () => {
      const namespace = `ns-${randomUUID().slice(0, 8)}`;
      await env.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      const first = await registerSearchAttributes(env.connection, namespace);
      expect(first).to.deep.equal({ added: Object.keys(SEARCH_ATTRIBUTES) });
      const listed = await env.connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(listed.customAttributes ?? {})).to.include.members(Object.keys(SEARCH_ATTRIBUTES));
      expect(await registerSearchAttributes(env.connection, namespace)).to.deep.equal({ added: [] });
    });
  });
});
