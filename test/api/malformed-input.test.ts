import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createDevServerEnv } from '../support/temporal-env';
import { startTestApi, type TestApi } from '../support/api-server';
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

/**
 * A snapshot taken once the fixtures' background work (the imported connection's workflow starting)
 * has stopped writing: two equal snapshots 200 ms apart, at most 25 tries.
 */
async function settledSnapshot(db: DataSource): Promise<Record<string, string[]>> {
  let previous = await snapshot(db);
  for (let attempt = 0; attempt < 25; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const current = await snapshot(db);
    if (JSON.stringify(current) === JSON.stringify(previous)) return current;
    previous = current;
  }
  throw new Error('the database never stopped changing before the malformed requests were sent');
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
        // MALFORMED_VERBOSE=404 lists the requests answered 404 (to read what a status bucket holds).
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
      rig.api.deps.integrations.create(environment.id, { uniqueKey, provider, displayName: null, clientId: 'client', clientSecret: 'secret', scopes: [], forwardWebhooks: false });
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

    // No exclusion: none of these requests is a read that succeeds, so none may write, not even last_fetched_at or an operation log line.
    const before = await settledSnapshot(rig.api.deps.db);
    const port = Number(new URL(rig.api.url).port);
    const { histogram, problems } = await sendAll(port, requests);
    // Settled too: a request that started background work (a workflow, a webhook) would write after its answer.
    const after = await settledSnapshot(rig.api.deps.db);

    const statuses = [...histogram.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(', ');
    console.log(`      ${requests.length} malformed requests over ${families.size} route families; statuses ${statuses}`);
    expect(problems, problems.slice(0, 30).join('\n')).to.deep.equal([]);
    expect([...histogram.keys()].filter((status) => status >= 500)).to.deep.equal([]);
    for (const table of Object.keys(before)) expect(after[table], `rows of ${table}`).to.deep.equal(before[table]);
  });

  describe('the answers, exactly', () => {
    const call = (method: string, path: string, body?: unknown) => http(rig.api.url, method, path, { token: fixtures.secretKey, body });
    const metadataOf = async (connectionId: string) =>
      (await call('GET', `/connections/${connectionId}?provider_config_key=fake`)).body.metadata as Record<string, unknown> | null;

    it('a NUL in a connection id is 400 invalid_uri_params naming the parameter', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await call(method, '/connections/a%00b?provider_config_key=fake');
        expect(response.status, method).to.equal(400);
        expect(response.body).to.deep.equal({
          error: { code: 'invalid_uri_params', message: 'Invalid URI parameters', errors: [{ code: 'invalid_string', message: 'the value contains a NUL character', path: ['connectionId'] }] },
        });
      }
    });

    it('a NUL or a lone surrogate anywhere in a JSON body is 400 invalid_body at its path', async () => {
      const response = await call('POST', '/connections', {
        provider_config_key: 'fake',
        connection_id: 'conn\u0000x',
        metadata: { a: { b: ['ok', 'x\ud800'] } },
        credentials: { type: 'OAUTH2', access_token: 'at' },
      });
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal({
        error: {
          code: 'invalid_body',
          message: 'Invalid request body',
          errors: [
            { code: 'invalid_string', message: 'the value contains a NUL character', path: ['connection_id'] },
            { code: 'invalid_string', message: 'the value contains a lone UTF-16 surrogate', path: ['metadata', 'a', 'b', 1] },
          ],
        },
      });
    });

    it('prototype keys are refused in bodies and in bracket query parameters', async () => {
      const body = await http(rig.api.url, 'PATCH', '/connections/metadata', {
        token: fixtures.secretKey,
        rawBody: '{"connection_id":"conn-1","provider_config_key":"fake","metadata":{"__proto__":{"admin":true}}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(body.status).to.equal(400);
      expect(body.body).to.deep.equal({
        error: { code: 'invalid_body', message: 'Invalid request body', errors: [{ code: 'reserved_key', message: '"__proto__" is not accepted as a key', path: ['metadata', '__proto__'] }] },
      });
      const query = await call('GET', '/connections?tags[constructor]=x');
      expect(query.status).to.equal(400);
      expect(query.body).to.deep.equal({
        error: { code: 'invalid_query_params', message: 'Invalid query parameters', errors: [{ code: 'reserved_key', message: '"constructor" is not accepted as a key', path: ['tags', 'constructor'] }] },
      });
      expect(await metadataOf('conn-1')).to.deep.equal({ plan: 'pro' });
    });

    it('a lone % in the path is 400 invalid_uri_params, in the query 400 invalid_query_params', async () => {
      const path = await call('GET', '/connections/50%?provider_config_key=fake');
      expect(path.status).to.equal(400);
      expect(path.body).to.deep.equal({
        error: { code: 'invalid_uri_params', message: 'Invalid URI parameters', errors: [{ code: 'invalid_string', message: '"50%" is not valid percent-encoding', path: [] }] },
      });
      const query = await call('GET', '/connections?search=50%');
      expect(query.status).to.equal(400);
      expect(query.body).to.deep.equal({
        error: { code: 'invalid_query_params', message: 'Invalid query parameters', errors: [{ code: 'invalid_string', message: '"search=50%" is not valid percent-encoding', path: ['search'] }] },
      });
    });

    it('nesting deeper than 64 levels is 400 invalid_body', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 65; i++) deep = { a: deep };
      const response = await call('POST', '/connections/metadata', { connection_id: 'conn-1', provider_config_key: 'fake', metadata: { deep } });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid_body');
      expect(response.body.error.errors).to.have.length(1);
      expect(response.body.error.errors[0]).to.include({ code: 'too_deep', message: 'nested deeper than 64 levels' });
      expect(response.body.error.errors[0].path).to.have.length(64);
    });

    it('log cursors are bounded by bigint: the largest answers the newest lines, one more is 400 invalid_query_params', async () => {
      const largest = await call('GET', '/connections/conn-1/logs?provider_config_key=fake&cursor=9223372036854775807');
      expect(largest.status).to.equal(200);
      expect(largest.body.data.length).to.be.greaterThan(0);
      const beyond = await call('GET', '/connections/conn-1/logs?provider_config_key=fake&cursor=9223372036854775808');
      expect(beyond.status).to.equal(400);
      expect(beyond.body).to.deep.equal({
        error: { code: 'invalid_query_params', message: 'Invalid query parameters', errors: [{ code: 'custom', message: 'must be a cursor returned by a previous page', path: ['cursor'] }] },
      });
    });

    it('page and limit take plain decimal integers within their bounds', async () => {
      expect((await call('GET', '/connections?page=1000000&limit=2000')).status).to.equal(200);
      for (const query of ['page=1000001', 'page=-1', 'limit=0', 'limit=2001', 'limit=1e3', 'limit=0x10', 'page=NaN', 'page=18446744073709551616']) {
        const response = await call('GET', `/connections?${query}`);
        expect(response.status, query).to.equal(400);
        expect(response.body.error.code, query).to.equal('invalid_query_params');
        expect(response.body.error.errors[0].path, query).to.deep.equal([query.split('=')[0]]);
      }
    });

    it('more than 100 connection ids in a metadata request is 400 too_many_connection_ids', async () => {
      const ids = Array.from({ length: 101 }, (_, i) => `c${i}`);
      const response = await call('POST', '/connections/metadata', { connection_id: ids, provider_config_key: 'fake', metadata: { a: 1 } });
      expect(response.status).to.equal(400);
      const message = '101 connection ids given; at most 100 per request';
      expect(response.body).to.deep.equal({ error: { code: 'too_many_connection_ids', message, errors: [{ code: 'too_big', message, path: ['connection_id'] }] } });
      // 100 is within the limit: the request goes on, and fails only on the unknown ids.
      const hundred = await call('POST', '/connections/metadata', { connection_id: ids.slice(0, 100), provider_config_key: 'fake', metadata: { a: 1 } });
      expect(hundred.status).to.equal(404);
      expect(hundred.body.error.code).to.equal('unknown_connection');
    });

    it('metadata is capped at 64 KB of JSON: exactly 65,536 bytes is stored, one more is 400 metadata_too_large', async () => {
      // {"blob":"…"} is 11 bytes of JSON around the string.
      const exact = { blob: 'm'.repeat(65_536 - 11) };
      expect(Buffer.byteLength(JSON.stringify(exact))).to.equal(65_536);
      expect((await call('POST', '/connections/metadata', { connection_id: 'conn-1', provider_config_key: 'fake', metadata: exact })).status).to.equal(201);
      const over = { blob: 'm'.repeat(65_536 - 10) };
      const response = await call('POST', '/connections/metadata', { connection_id: 'conn-1', provider_config_key: 'fake', metadata: over });
      expect(response.status).to.equal(400);
      const message = 'metadata is 65537 bytes of JSON; at most 65536 are accepted per connection';
      expect(response.body).to.deep.equal({ error: { code: 'metadata_too_large', message, errors: [{ code: 'too_big', message, path: ['metadata'] }] } });
      const imported = await call('POST', '/connections', { provider_config_key: 'fake', connection_id: 'too-much-metadata', metadata: over, credentials: { type: 'OAUTH2', access_token: 'at' } });
      expect(imported.status).to.equal(400);
      expect(imported.body.error.code).to.equal('metadata_too_large');
      expect((await call('GET', '/connections/too-much-metadata?provider_config_key=fake')).status).to.equal(404);
    });

    it('a PATCH whose merge would outgrow 64 KB is 400 metadata_too_large and writes no connection', async () => {
      const importStatic = (id: string) => call('POST', '/connections', { provider_config_key: 'fake', connection_id: id, credentials: { type: 'OAUTH2', access_token: `at-${id}` } });
      expect((await importStatic('merge-small')).status).to.equal(201);
      expect((await importStatic('merge-big')).status).to.equal(201);
      expect((await call('POST', '/connections/metadata', { connection_id: 'merge-small', provider_config_key: 'fake', metadata: { a: 1 } })).status).to.equal(201);
      expect((await call('POST', '/connections/metadata', { connection_id: 'merge-big', provider_config_key: 'fake', metadata: { a: 'a'.repeat(40_000) } })).status).to.equal(201);
      const response = await call('PATCH', '/connections/metadata', { connection_id: ['merge-small', 'merge-big'], provider_config_key: 'fake', metadata: { b: 'b'.repeat(30_000) } });
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('metadata_too_large');
      expect(response.body.error.message).to.match(/^metadata is 700\d\d bytes of JSON; at most 65536 are accepted per connection$/);
      // All or nothing: the connection whose merge would have fitted is unchanged too.
      expect(await metadataOf('merge-small')).to.deep.equal({ a: 1 });
      expect(await metadataOf('merge-big')).to.deep.equal({ a: 'a'.repeat(40_000) });
    });

    it('well-formed unicode (emoji, CJK, combining marks) in ids, tags and metadata is stored and read back as given', async () => {
      const connectionId = '😀-漢字-e\u0301';
      const imported = await call('POST', '/connections', {
        provider_config_key: 'fake',
        connection_id: connectionId,
        tags: { team: 'ünï😀' },
        metadata: { '😀': '𝄞', nested: { 'e\u0301': ['漢字'] } },
        credentials: { type: 'OAUTH2', access_token: 'at-unicode' },
      });
      expect(imported.status).to.equal(201);
      const read = await call('GET', `/connections/${encodeURIComponent(connectionId)}?provider_config_key=fake`);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.include({ connection_id: connectionId, tags: { team: 'ünï😀' }, metadata: { '😀': '𝄞', nested: { 'e\u0301': ['漢字'] } } });
    });

    it('a header Node refuses (a NUL in Authorization) is still answered 400 in the envelope', async () => {
      const port = Number(new URL(rig.api.url).port);
      const response = await rawRequest(port, { method: 'GET', target: '/environment', headers: { Authorization: `Bearer ${fixtures.secretKey}\u0000` } }, REQUEST_TIMEOUT_MS);
      expect(response.status).to.equal(400);
      expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(response.json).to.deep.equal({ error: { code: 'bad_request', message: 'The request is not valid HTTP' } });
      const huge = await rawRequest(port, { method: 'GET', target: '/environment', headers: { 'X-Padding': 'p'.repeat(20_000) } }, REQUEST_TIMEOUT_MS);
      expect(huge.status).to.equal(431);
      expect(huge.json).to.deep.equal({ error: { code: 'headers_too_large', message: 'Request headers are larger than 16 KB' } });
    });
  });

  it('still serves the fixtures after the malformed requests: the connection and the session are untouched and work', async () => {
    const connection = await http(rig.api.url, 'GET', `/connections/${fixtures.connectionId}?provider_config_key=fake`, { token: fixtures.secretKey });
    expect(connection.status).to.equal(200);
    expect(connection.body.metadata).to.deep.equal({ plan: 'pro' });
    expect(connection.body.credentials.access_token).to.equal('at-conn-1');
    const session = await http(rig.api.url, 'GET', '/connect/session', { token: fixtures.sessionToken });
    expect(session.status).to.equal(200);
  });
});

describe('malformed webhook URLs with private targets refused (ALLOW_PRIVATE_WEBHOOK_TARGETS=false)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ env: { ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' } });
  });
  after(async () => api?.close());

  it('answers 400 invalid_body for URLs that do not parse (the private-address check used to throw on them) and changes nothing', async () => {
    const before = await http(api.url, 'GET', '/environment', { token: api.secretKey });
    for (const url of ['not a url', 'http://[::1', 'http://%zz', 'http://']) {
      for (const field of ['primary_url', 'secondary_url']) {
        const response = await http(api.url, 'PATCH', '/environment', { token: api.secretKey, body: { webhook: { [field]: url } } });
        expect(response.status, `${field} ${url}`).to.equal(400);
        expect(response.body.error.code).to.equal('invalid_body');
        expect(response.body.error.errors.map((e: { path: unknown }) => e.path)).to.deep.equal([['webhook', field]]);
      }
    }
    expect((await http(api.url, 'GET', '/environment', { token: api.secretKey })).body).to.deep.equal(before.body);
  });
});
