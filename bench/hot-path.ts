/**
 * `hot-path`: `GET /connections/:id` with a fresh token (secret key, the row read and decrypted, the
 * connection presented) against a bare Koa + `pg` endpoint that reads the same row from the same
 * PostgreSQL and answers it as stored — alternating rounds, 16 clients. Production-like: the built API
 * (`node dist/src/main.js api`, as the image runs it) and the baseline each in a process of its own, on the
 * PostgreSQL server `npm run bench` starts and a Temporal dev server (which a fresh token never asks).
 */
import 'reflect-metadata';
import { ConnectionStore } from '../src/connections/connection-store';
import { createTestDatabase } from '../test/support/database';
import { createDevServerEnv } from '../test/support/temporal-env';
import { alternating } from './load';
import { cpuPerRequest, seedIntegration, stackSettings, startBaseline, startBuiltApi } from './production-stack';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

export async function hotPathBenchmark(): Promise<void> {
  const database = await createTestDatabase();
  const temporal = await createDevServerEnv();
  const settings = stackSettings(database.url, temporal.address);
  const stops: Array<() => Promise<unknown>> = [() => temporal.teardown(), () => database.drop()];
  try {
    const api = await startBuiltApi(settings);
    stops.unshift(() => api.process.stop());
    const baseline = await startBaseline('baseline-server.ts', ['read'], { DATABASE_URL: database.url });
    stops.unshift(() => baseline.stop());
    // The connection is written as an import writes it, with the API's key, from this process.
    const { db, cipher, environment, integration } = await seedIntegration(settings);
    stops.unshift(() => db.destroy());
    const expiresAt = new Date(Date.now() + 24 * 3600_000);
    await new ConnectionStore(db, cipher).importConnection({
      environmentId: environment.id,
      integrationId: integration.id,
      connectionId: 'bench-1',
      credentials: { type: 'OAUTH2', access_token: 'bench-access-token', refresh_token: 'bench-refresh-token', expires_at: expiresAt.toISOString(), raw: {} },
      expiresAt,
    });
    const custodianTarget = { url: `${api.url}/connections/bench-1?provider_config_key=gh`, headers: { authorization: `Bearer ${settings.secretKey}` } };
    const bareTarget = { url: `${baseline.url}/`, headers: { 'x-environment': environment.id, 'x-integration': integration.id, 'x-connection': 'bench-1' } };
    const { a: custodian, b: bare } = await alternating(custodianTarget, bareTarget, { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS });
    const bareCpu = await cpuPerRequest(bareTarget, baseline.pid, SECONDS, CONNECTIONS);
    const custodianCpu = await cpuPerRequest(custodianTarget, api.process.child.pid!, SECONDS, CONNECTIONS);
    if (custodian.non2xx + custodian.errors + bare.non2xx + bare.errors > 0) throw new Error(`failed requests: custodian ${custodian.non2xx + custodian.errors}, baseline ${bare.non2xx + bare.errors}`);
    console.log(`bare Koa + pg:            ${bare.requestsPerSecond.toFixed(0)} req/s, p50 ${bare.p50Ms} ms, p99 ${bare.p99Ms} ms`);
    console.log(`GET /connections/:id:     ${custodian.requestsPerSecond.toFixed(0)} req/s, p50 ${custodian.p50Ms} ms, p99 ${custodian.p99Ms} ms`);
    console.log(`CPU per request:          Custodian ${(custodianCpu * 1e6).toFixed(0)} µs, bare ${(bareCpu * 1e6).toFixed(0)} µs (${(custodianCpu / bareCpu).toFixed(1)}x; the server process only, one more round each)`);
    console.log(`ratio: ${(custodian.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}x the req/s, p99 ${(custodian.p99Ms / Math.max(bare.p99Ms, 1)).toFixed(1)}x (${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} clients, medians; each server in its own process)`);
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}
