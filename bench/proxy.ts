/**
 * `proxy`: `GET /proxy/api/echo` through Custodian (secret key, fresh credentials read from PostgreSQL,
 * the token put on by the strategy, the answer streamed back) against the same call sent straight to the
 * provider with the token in hand — alternating rounds, 16 clients, the fake provider on loopback.
 */
import { startConnectionsRig } from '../test/support/connections-rig';
import { mountProviderApi } from '../test/support/fake-modes/provider-api';
import { createDevServerEnv } from '../test/support/temporal-env';
import { alternating } from './load';

const ROUNDS = 3;
const SECONDS = 5;
const CONNECTIONS = 16;

export async function proxyBenchmark(): Promise<void> {
  const env = await createDevServerEnv();
  const rig = await startConnectionsRig(env, { configEnv: { ALLOW_PRIVATE_NETWORK_TARGETS: 'true', LOG_LEVEL: 'silent' } });
  try {
    mountProviderApi(rig.provider);
    const imported = await rig.importFromProvider('bench-1');
    const token = (imported.body.credentials as { access_token: string }).access_token;
    const { a: proxied, b: direct } = await alternating(
      { url: `${rig.api.url}/proxy/api/echo`, headers: { authorization: `Bearer ${rig.api.secretKey}`, 'connection-id': 'bench-1', 'provider-config-key': 'fake' } },
      { url: `${rig.provider.url}/api/echo`, headers: { authorization: `Bearer ${token}` } },
      { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
    );
    if (proxied.non2xx + proxied.errors + direct.non2xx + direct.errors > 0) throw new Error(`failed requests: proxied ${proxied.non2xx + proxied.errors}, direct ${direct.non2xx + direct.errors}`);
    console.log(`direct to the provider: ${direct.requestsPerSecond.toFixed(0)} req/s, p50 ${direct.p50Ms} ms, p99 ${direct.p99Ms} ms`);
    console.log(`through /proxy:         ${proxied.requestsPerSecond.toFixed(0)} req/s, p50 ${proxied.p50Ms} ms, p99 ${proxied.p99Ms} ms`);
    console.log(`ratio: ${(proxied.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}x the req/s, p99 ${(proxied.p99Ms / Math.max(direct.p99Ms, 1)).toFixed(1)}x (${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} clients, medians)`);
  } finally {
    await rig.close();
    await env.teardown();
  }
}
