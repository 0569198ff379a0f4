import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { fakeApiKeyEntry, fakeBasicEntry } from '../support/fake-provider';
import { http } from '../support/http';
import { malformedRequests, type Fixtures, type MalformedRequest } from '../support/malformed-requests';
import { rawRequest, type RawResponse } from '../support/raw-http';

/** No malformed request may take longer than this to be answered. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Requests in flight at once (the machine has two cores, shared). */
const CONCURRENCY = 6;

/** Every table's rows, each as sorted JSON text, so two snapshots compare with deep equality. */
async function snapshot(db: DataSource): Promise<Record<string, string[]>> {
  const tables = (await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)) as { table_name: string }[];
  const out: Record<string, string[]> = {};
  for (const { table_name: table } of tables) {
    const rows = (await db.query(`SELECT to_jsonb(t)::text AS row FROM "${table}" t`)) as { row: string }[];
    out[table] = rows.map((r) => r.row).sort();
  }
  return out;
}

/** What is wrong with an answer to a malformed request, or undefined when it is a proper refusal (or a harmless answer). */
function problemWith(request: MalformedRequest, response: RawResponse): string | undefined {
  if (response.status >= 500) return `answered ${response.status}: ${response.text.slice(0, 300)}`;
  if (response.status < 400) return undefined;
  if (request.htmlErrorPage && response.headers['content-type']?.startsWith('text/html')) {
    return response.text.includes('nango_oauth_callback_error') ? undefined : 'an HTML answer that is not the callback error page';
  }
  const error = (response.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(error.code) || typeof error.message !== 'string') {
    return `answered ${response.status} outside the error envelope: ${response.text.slice(0, 200)}`;
  }
  return undefined;
}

/** Sends every request, `CONCURRENCY` at a time; each must be answered within the timeout. */
async function sendAll(port: number, requests: MalformedRequest[]): Promise<{ histogram: Map<number, number>; problems: string[] }> {
  const histogram = new Map<number, number>();
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      try {
        const response = await rawRequest(port, request, REQUEST_TIMEOUT_MS);
        histogram.set(response.status, (histogram.get(response.status) ?? 0) + 1);
        if (process.env.MALFORMED_VERBOSE && String(response.status) === process.env.MALFORMED_VERBOSE) console.log(`      ${response.status} ${request.label}`);
        const problem = problemWith(request, response);
        if (problem) problems.push(`${request.label}: ${problem}`);
      } catch (error) {
        problems.push(`${request.label}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { histogram, problems };
}

/** Issue 9 item 5: bad input is refused with a 4xx in the envelope, never reaches the database as an error, and changes nothing. */
describe('malformed requests on every route (API.md §0, dev server)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let fixtures: Fixtures;

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env, { extraProviders: (provider) => ({ 'fake-apikey': fakeApiKeyEntry(provider), 'fake-basic': fakeBasicEntry(provider) }) });
    const environment = (await rig.api.deps.environments.findBySecretKey(rig.api.secretKey))!;
    const integration = (uniqueKey: string, provider: string) =>
      rig.api.deps.integrations.create(environment.id, { uniqueKey, provider, displayName: null, clientId: 'client', clientSecretEncrypted: rig.api.deps.cipher.encrypt('secret'), scopes: [], forwardWebhooks: false });
    await integration('fake-apikey', 'fake-apikey');
    await integration('fake-basic', 'fake-basic');
    await integration('open', 'unauthenticated');
    await integration('paypal-cc', 'paypal-oauth2-cc');
    const imported = await http(rig.api.url, 'POST', '/connections', {
      token: rig.api.secretKey,
      body: { provider_config_key: 'fake', connection_id: 'conn-1', metadata: { plan: 'pro' }, credentials: { type: 'OAUTH2', access_token: 'at-conn-1' } },
    });
    expect(imported.status).to.equal(201);
    const session = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'eu-1' } } });
    expect(session.status).to.equal(201);
    fixtures = {
      secretKey: rig.api.secretKey,
      sessionToken: session.body.data.token as string,
      connectionId: 'conn-1',
      oauthKey: 'fake',
      apiKeyKey: 'fake-apikey',
      basicKey: 'fake-basic',
      clientCredentialsKey: 'paypal-cc',
      unauthenticatedKey: 'open',
    };
  });
  after(async () => {
    await rig?.close();
    await env?.teardown();
  });

  it('answers at least 1,000 malformed requests across every route family with a 4xx in the envelope, none hanging, and changes no row', async () => {
    const requests = malformedRequests(fixtures);
    const families = new Set(requests.map((r) => r.family));
    expect([...families].sort()).to.deep.equal([
      'api-auth', 'auth/unauthenticated', 'connect UI assets', 'connect sessions', 'connection logs', 'connections', 'connections (legacy /connection)',
      'environment', 'health', 'integrations', 'logos', 'metadata', 'oauth/callback', 'oauth/connect', 'oauth2/auth', 'providers',
    ]);
    expect(requests.length).to.be.at.least(1000);

    const before = await snapshot(rig.api.deps.db);
    const port = Number(new URL(rig.api.url).port);
    const { histogram, problems } = await sendAll(port, requests);
    const after = await snapshot(rig.api.deps.db);

    const statuses = [...histogram.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(', ');
    console.log(`      ${requests.length} malformed requests over ${families.size} route families; statuses ${statuses}`);
    expect(problems, problems.slice(0, 30).join('\n')).to.deep.equal([]);
    expect([...histogram.keys()].filter((status) => status >= 500)).to.deep.equal([]);
    for (const table of Object.keys(before)) expect(after[table], `rows of ${table}`).to.deep.equal(before[table]);
  });

  it('still serves the fixtures afterwards: the connection and the session are untouched and work', async () => {
    const connection = await http(rig.api.url, 'GET', `/connections/${fixtures.connectionId}?provider_config_key=fake`, { token: fixtures.secretKey });
    expect(connection.status).to.equal(200);
    expect(connection.body.metadata).to.deep.equal({ plan: 'pro' });
    expect(connection.body.credentials.access_token).to.equal('at-conn-1');
    const session = await http(rig.api.url, 'GET', '/connect/session', { token: fixtures.sessionToken });
    expect(session.status).to.equal(200);
  });
});
