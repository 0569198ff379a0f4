/**
 * Test environments backed by the binaries `npm test` installs: the Java time-skipping test server
 * (TEMPORAL_TEST_SERVER wrapper) and the Temporal CLI dev server (TEMPORAL_CLI), both as existing-path.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { auditHistories, type AuditResult } from './history-audit';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { searchAttributeFlags } from '../../src/temporal/search-attributes';

const CACHE = process.env.CUSTODIAN_CACHE ?? path.join(homedir(), '.cache', 'custodian');

function requirePath(envName: string, fallback: string): string {
  const candidate = process.env[envName] ?? fallback;
  if (!existsSync(candidate)) throw new Error(`${envName} not found at ${candidate}: run \`npm test\` once to install it`);
  return candidate;
}

/**
 * Before the environment goes away, every history it holds is searched for the suite's secrets;
 * a hit fails the teardown (and with it the test file's `after` hook).
 */
function auditedTeardown(env: TestWorkflowEnvironment): TestWorkflowEnvironment {
  const teardown = env.teardown.bind(env);
  Object.defineProperty(env, 'teardown', {
    value: async () => {
      let audit: AuditResult | undefined;
      try {
        audit = await auditHistories(env.client);
      } finally {
        await teardown();
      }
      if (audit.hits.length > 0) throw new Error(`secrets found in workflow histories: ${audit.hits.join('; ')}`);
      if (process.env.AUDIT_VERBOSE) console.log(`      history audit: ${audit.histories} histories, ${audit.events} events, no secret`);
    },
  });
  return env;
}

/** A time-skipping environment on the Java test server, with Custodian's search attributes registered. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const server = requirePath('TEMPORAL_TEST_SERVER', path.join(CACHE, 'temporal-test-server-1.32.0', 'test-server'));
  const env = await startingTwice(() => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server } } }));
  const outcome = await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  if ('refused' in outcome) {
    await env.teardown();
    throw new Error(`the test server refused Custodian's search attributes: ${outcome.refused}`);
  }
  return auditedTeardown(env);
}

/** A local environment on the CLI dev server, with Custodian's search attributes registered. */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const cli = requirePath('TEMPORAL_CLI', path.join(CACHE, 'temporal-cli-v1.5.1', 'temporal'));
  const env = await startingTwice(() =>
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: cli }, extraArgs: [...searchAttributeFlags(), '--headless'] },
    }),
  );
  return auditedTeardown(env);
}

/**
 * The SDK gives an ephemeral server 5 s to listen, which a JVM (or the dev server) can miss when the
 * machine is saturated by parallel test files: one more try before giving up.
 */
async function startingTwice(start: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  try {
    return await start();
  } catch (error) {
    if (!/did not start within/.test(String(error))) throw error;
    return start();
  }
}
