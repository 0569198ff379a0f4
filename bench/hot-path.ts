/**
 * `hot-path`: `GET /connections/:id` with a fresh token (secret key, the row read and decrypted, the
 * connection presented) against a bare Koa + `pg` endpoint that reads the same row from the same
 * PostgreSQL and answers its ciphertext — alternating rounds, 16 clients. No Temporal: a fresh token is
 * served from PostgreSQL alone.
 */
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { startTestApi } from '../test/support/api-server';
import { alternating } from './load';

const ROUNDS = 3;
const SECONDS = 5;
const CONNECTIONS = 16;

export async function hotPathBenchmark(): Promise<void> {
  const api = await startTestApi({ env: { LOG_LEVEL: 'silent' } });
  const pool = new Pool({ connectionString: api.databaseUrl, max: 10 });
  const bare = new Koa();
  bare.use(async (ctx) => {
    const { rows } = await pool.query('SELECT id, credentials_encrypted, expires_at FROM connection WHERE environment_id = $1 AND integration_id = $2 AND connection_id = $3 AND deleted_at IS NULL', [
      ctx.get('x-environment'),
      ctx.get('x-integration'),
      'bench-1',
    ]);
    ctx.body = rows[0];
  });
  const server = bare.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    const integration = await api.deps.integrations.create(environment.id, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 'bench-client-secret', scopes: [], forwardWebhooks: true });
    const expiresAt = new Date(Date.now() + 24 * 3600_000);
    await api.deps.connections.importConnection({
      environmentId: environment.id,
      integrationId: integration.id,
      connectionId: 'bench-1',
      credentials: { type: 'OAUTH2', access_token: 'bench-access-token', refresh_token: 'bench-refresh-token', expires_at: expiresAt.toISOString(), raw: {} },
      expiresAt,
    });
    const { a: custodian, b: baseline } = await alternating(
      { url: `${api.url}/connections/bench-1?provider_config_key=gh`, headers: { authorization: `Bearer ${api.secretKey}` } },
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, headers: { 'x-environment': environment.id, 'x-integration': integration.id } },
      { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
    );
    if (custodian.non2xx + custodian.errors + baseline.non2xx + baseline.errors > 0) throw new Error(`failed requests: custodian ${custodian.non2xx + custodian.errors}, baseline ${baseline.non2xx + baseline.errors}`);
    console.log(`bare Koa + pg:            ${baseline.requestsPerSecond.toFixed(0)} req/s, p50 ${baseline.p50Ms} ms, p99 ${baseline.p99Ms} ms`);
    console.log(`GET /connections/:id:     ${custodian.requestsPerSecond.toFixed(0)} req/s, p50 ${custodian.p50Ms} ms, p99 ${custodian.p99Ms} ms`);
    console.log(`ratio: ${(custodian.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}x the req/s, p99 ${(custodian.p99Ms / Math.max(baseline.p99Ms, 1)).toFixed(1)}x (${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} clients, medians)`);
  } finally {
    server.close();
    await pool.end();
    await api.close();
  }
}
