import { expect } from 'chai';
import { parseConfig, parseDuration } from '../../src/config';
import { ConfigError } from '../../src/errors';

const KEY = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected parseConfig to refuse this environment');
}

describe('config', () => {
  it('uses the documented defaults in dev mode with an empty environment', () => {
    const config = parseConfig({});
    expect(config.mode).to.equal('dev');
    expect(config.port).to.equal(3003);
    expect(config.serverUrl).to.equal('http://localhost:3003');
    expect(config.connectUrl).to.equal('http://localhost:3003/connect');
    expect(config.temporal.namespace).to.equal('default');
    expect(config.temporal.taskQueue).to.equal('custodian');
    expect(config.refreshMarginMs).to.equal(15 * 60_000);
    expect(config.webhookTimeoutMs).to.equal(20_000);
    expect(config.providerTimeoutMs).to.equal(60_000);
    expect(config.webhookRetryForMs).to.equal(24 * 3_600_000);
    expect(config.allowPrivateNetworkTargets).to.equal(true);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('refuses production mode without ENCRYPTION_KEYS', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db:5432/c', TEMPORAL_ADDRESS: 'temporal:7233' })).to.deep.equal([
      'ENCRYPTION_KEYS: required in production mode (DATABASE_URL and TEMPORAL_ADDRESS set)',
    ]);
  });

  it('starts production mode with keys and blocks private webhook targets by default', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u@db:5432/c',
      TEMPORAL_ADDRESS: 'temporal:7233',
      ENCRYPTION_KEYS: `k2=${KEY},k1=${KEY}`,
    });
    expect(config.mode).to.equal('production');
    expect(config.encryptionKeys?.map((k) => k.id)).to.deep.equal(['k2', 'k1']);
    expect(config.allowPrivateNetworkTargets).to.equal(false);
  });

  it('private network targets: ALLOW_PRIVATE_NETWORK_TARGETS=false blocks them in dev too, and the older ALLOW_PRIVATE_WEBHOOK_TARGETS still works as an alias', () => {
    expect(parseConfig({ ALLOW_PRIVATE_NETWORK_TARGETS: 'false' }).allowPrivateNetworkTargets).to.equal(false);
    expect(parseConfig({ ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' }).allowPrivateNetworkTargets).to.equal(false);
    const production = { DATABASE_URL: 'postgres://u@db:5432/c', TEMPORAL_ADDRESS: 'temporal:7233', ENCRYPTION_KEYS: `k1=${KEY}` };
    expect(parseConfig({ ...production, ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }).allowPrivateNetworkTargets).to.equal(true);
    expect(parseConfig({ ...production, ALLOW_PRIVATE_NETWORK_TARGETS: 'true', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }).allowPrivateNetworkTargets).to.equal(true);
    expect(problemsOf({ ALLOW_PRIVATE_NETWORK_TARGETS: 'true', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' })).to.deep.equal([
      'ALLOW_PRIVATE_WEBHOOK_TARGETS: is the older name of ALLOW_PRIVATE_NETWORK_TARGETS and disagrees with it',
    ]);
  });

  it('DEMO_PROVIDER: on by default in dev mode, off with false, never in production (true there is refused)', () => {
    const production = { DATABASE_URL: 'postgres://u@db:5432/c', TEMPORAL_ADDRESS: 'temporal:7233', ENCRYPTION_KEYS: `k1=${KEY}` };
    expect(parseConfig({}).demoProvider).to.equal(true);
    expect(parseConfig({ DEMO_PROVIDER: 'false' }).demoProvider).to.equal(false);
    expect(parseConfig(production).demoProvider).to.equal(false);
    expect(parseConfig({ ...production, DEMO_PROVIDER: 'false' }).demoProvider).to.equal(false);
    expect(() => parseConfig({ ...production, DEMO_PROVIDER: 'true' })).to.throw(ConfigError).with.property('problems').that.deep.equals([
      'DEMO_PROVIDER: the demo provider runs in dev mode only (unset it in production)',
    ]);
  });

  it('LOG_FORMAT: auto by default, json or pretty by choice, anything else refused', () => {
    expect(parseConfig({}).logFormat).to.equal('auto');
    expect(parseConfig({ LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    expect(() => parseConfig({ LOG_FORMAT: 'fancy' })).to.throw(ConfigError);
  });

  it('reports every bad value at once, one line each, naming the variable', () => {
    const problems = problemsOf({
      PORT: '99999',
      SERVER_URL: 'ftp://x',
      DATABASE_URL: 'mysql://x',
      TEMPORAL_ADDRESS: 'no-port',
      CUSTODIAN_SECRET_KEY: 'not-a-uuid',
      REFRESH_MARGIN: '15 minutes',
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'yes',
      LOG_LEVEL: 'loud',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).to.deep.equal(
      [
        'ALLOW_PRIVATE_WEBHOOK_TARGETS',
        'CUSTODIAN_SECRET_KEY',
        'DATABASE_URL',
        'LOG_LEVEL',
        'PORT',
        'REFRESH_MARGIN',
        'SERVER_URL',
        'TEMPORAL_ADDRESS',
      ].sort(),
    );
    expect(problems.find((p) => p.startsWith('REFRESH_MARGIN'))).to.contain('must be a duration like');
    expect(problems.find((p) => p.startsWith('CUSTODIAN_SECRET_KEY'))).to.contain('must be a UUID v4');
  });

  it('floors forced refreshes at 5 s unless REFRESH_FLOOR says otherwise (0s turns the floor off, a malformed value is refused)', () => {
    expect(parseConfig({}).refreshFloorMs).to.equal(5_000);
    expect(parseConfig({ REFRESH_FLOOR: '30s' }).refreshFloorMs).to.equal(30_000);
    expect(parseConfig({ REFRESH_FLOOR: '0s' }).refreshFloorMs).to.equal(0);
    expect(problemsOf({ REFRESH_FLOOR: 'five seconds' })[0]).to.match(/^REFRESH_FLOOR: must be a duration like/);
  });

  it('REFRESH_POLICY: by-use with 24 h windows by default, always by choice, anything else refused', () => {
    expect(parseConfig({}).refreshPolicy).to.deep.equal({ mode: 'by-use', activeWindowMs: 86_400_000, idleRenewIntervalMs: 86_400_000 });
    expect(parseConfig({ REFRESH_POLICY: 'always', ACTIVE_WINDOW: '2h', IDLE_RENEW_INTERVAL: '7d' }).refreshPolicy).to.deep.equal({ mode: 'always', activeWindowMs: 7_200_000, idleRenewIntervalMs: 604_800_000 });
    expect(problemsOf({ REFRESH_POLICY: 'sometimes', ACTIVE_WINDOW: 'a day' }).map((p) => p.split(':')[0]).sort()).to.deep.equal(['ACTIVE_WINDOW', 'REFRESH_POLICY']);
  });

  it('rejects malformed encryption keys without echoing the key material', () => {
    const problems = problemsOf({ ENCRYPTION_KEYS: 'k1=c2hvcnQ=' });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^ENCRYPTION_KEYS: each entry must be kid=<base64 of 32 bytes>/);
    expect(problems[0]).not.to.contain('c2hvcnQ');
    expect(problemsOf({ ENCRYPTION_KEYS: `a=${KEY},a=${KEY}` })[0]).to.contain('listed twice');
  });

  it('requires the TLS certificate and key together', () => {
    expect(problemsOf({ TEMPORAL_TLS_CERT: 'pem' })).to.deep.equal(['TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY: give both or neither']);
  });

  it('takes PROVIDER_TIMEOUT as a duration up to 5 minutes', () => {
    expect(parseConfig({ PROVIDER_TIMEOUT: '2s' }).providerTimeoutMs).to.equal(2_000);
    expect(parseConfig({ PROVIDER_TIMEOUT: '5m' }).providerTimeoutMs).to.equal(300_000);
    expect(problemsOf({ PROVIDER_TIMEOUT: '6m' })).to.deep.equal(['PROVIDER_TIMEOUT: must be at most 5m (and more than 0)']);
    expect(problemsOf({ PROVIDER_TIMEOUT: '0s' })).to.deep.equal(['PROVIDER_TIMEOUT: must be at most 5m (and more than 0)']);
    expect(problemsOf({ PROVIDER_TIMEOUT: 'soon' })).to.deep.equal(['PROVIDER_TIMEOUT: must be a duration like 500ms, 20s, 15m, 24h or 1d (got "soon")']);
  });

  it('parses named durations', () => {
    expect(parseDuration('500ms')).to.equal(500);
    expect(parseDuration('1d')).to.equal(86_400_000);
    expect(parseDuration('15')).to.equal(undefined);
  });

  it('CONNECT_UI_FRAME_ANCESTORS: a list of http(s) origins; unset allows any framer; paths, wildcards and other schemes are refused', () => {
    expect(parseConfig({}).connectUiFrameAncestors).to.equal(undefined);
    expect(parseConfig({ CONNECT_UI_FRAME_ANCESTORS: 'https://app.example.com,https://admin.example.com:8443/' }).connectUiFrameAncestors).to.deep.equal(['https://app.example.com', 'https://admin.example.com:8443']);
    for (const bad of ['*', 'https://*.example.com', 'https://app.example.com/embed', "'self'", 'javascript:alert(1)', 'https://a.example.com; script-src *', ' , ']) {
      expect(problemsOf({ CONNECT_UI_FRAME_ANCESTORS: bad }).map((p) => p.split(':')[0]), bad).to.deep.equal(['CONNECT_UI_FRAME_ANCESTORS']);
    }
  });
  it('WORKER_*: unset leaves the SDK defaults but a 500-workflow cache; whole numbers within bounds are taken; the cache is 0 or at least 2 and bounds the workflow-task slots', () => {
    expect(parseConfig({}).worker).to.deep.equal({
      maxConcurrentWorkflowTaskExecutions: undefined,
      maxConcurrentActivityTaskExecutions: undefined,
      maxCachedWorkflows: 500,
      workflowPollers: undefined,
      activityPollers: undefined,
    });
    const tuned = parseConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20', WORKER_MAX_CONCURRENT_ACTIVITIES: '200', WORKER_MAX_CACHED_WORKFLOWS: '5000', WORKER_WORKFLOW_POLLERS: '4', WORKER_ACTIVITY_POLLERS: '8' }).worker;
    expect(tuned).to.deep.equal({ maxConcurrentWorkflowTaskExecutions: 20, maxConcurrentActivityTaskExecutions: 200, maxCachedWorkflows: 5000, workflowPollers: 4, activityPollers: 8 });
    expect(Object.isFrozen(tuned)).to.equal(true);
    expect(parseConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '50' }).worker.maxCachedWorkflows).to.equal(0);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).to.deep.equal(['WORKER_MAX_CACHED_WORKFLOWS: must be 0 (no cache) or at least 2']);
    expect(problemsOf({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).to.deep.equal(['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must be at least 2']);
    expect(problemsOf({ WORKER_ACTIVITY_POLLERS: '0' })).to.deep.equal(['WORKER_ACTIVITY_POLLERS: must be at least 1']);
    expect(problemsOf({ WORKER_MAX_CONCURRENT_ACTIVITIES: '2.5' })).to.deep.equal(['WORKER_MAX_CONCURRENT_ACTIVITIES: must be a whole number']);
    expect(problemsOf({ WORKER_WORKFLOW_POLLERS: 'many' })).to.deep.equal(['WORKER_WORKFLOW_POLLERS: must be a whole number']);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '10', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20' })).to.deep.equal([
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: cannot exceed WORKER_MAX_CACHED_WORKFLOWS (unless the cache is off, 0)',
    ]);
  });
});
