/**
 * A refresh storm for fault tests: many OAUTH2 connections imported through the API with tokens already
 * inside the refresh margin, so every connection workflow refreshes as soon as a worker polls its task
 * queue; then what became of each connection, read from PostgreSQL.
 */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { Catalog } from '../../providers/load-catalog';
import { decryptCredentials } from '../../src/connections/credentials';
import { ConnectionEntity } from '../../src/db/entities';
import { startTestApi, type TestApi } from './api-server';
import type { FakeProvider, FakeProviderCall } from './fake-provider';
import { http } from './http';
import { fakeIntegration, obtainTokens } from './lifecycle';

/** Imported tokens expire this long after the import: inside the default 15-minute REFRESH_MARGIN, so they are due at once. */
const EXPIRES_WITHIN_MARGIN_MS = 10 * 60_000;
/** Imports sent at once. */
const IMPORT_CONCURRENCY = 8;
const POLL_MS = 20;

export interface StormConnection {
  rowId: string;
  connectionId: string;
  /** The refresh token it was imported with (the one its first refresh presents). */
  refreshToken: string;
}

/** One storm: its own API instance, environment and task queue on a shared database. */
export interface Storm {
  api: TestApi;
  taskQueue: string;
  connections: StormConnection[];
  close(): Promise<void>;
}

export interface StormOptions {
  /** The test file's database; each storm gets its own environment in it. */
  databaseUrl: string;
  encryptionKey: Buffer;
  temporal: Client;
  catalog: Catalog;
  provider: FakeProvider;
  count: number;
}

/** Creates the environment, the integration and `count` due connections (their workflows wait for a worker). */
export async function prepareStorm(options: StormOptions): Promise<Storm> {
  const taskQueue = `storm-${randomUUID()}`;
  const { provider } = options;
  const api = await startTestApi({ databaseUrl: options.databaseUrl, encryptionKey: options.encryptionKey, temporal: options.temporal, catalog: options.catalog, env: { TEMPORAL_TASK_QUEUE: taskQueue } });
  const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
  await api.deps.integrations.create(environment.id, fakeIntegration(provider));
  const connections: StormConnection[] = [];
  const importOne = async (index: number): Promise<void> => {
    const tokens = await obtainTokens(provider);
    const connectionId = `storm-${index}`;
    const imported = await http(api.url, 'POST', '/connections', {
      token: api.secretKey,
      body: {
        provider_config_key: 'fake',
        connection_id: connectionId,
        credentials: { type: 'OAUTH2', access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: new Date(Date.now() + EXPIRES_WITHIN_MARGIN_MS).toISOString() },
      },
    });
    if (imported.status !== 201) throw new Error(`import of ${connectionId} answered ${imported.status}: ${JSON.stringify(imported.body)}`);
    const row = await api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ environmentId: environment.id, connectionId });
    connections.push({ rowId: row.id, connectionId, refreshToken: String(tokens.refresh_token) });
  };
  for (let start = 0; start < options.count; start += IMPORT_CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, options.count - start) }, (_, i) => importOne(start + i)));
  }
  return { api, taskQueue, connections, close: () => api.close() };
}

/** The provider's refresh calls at one moment. */
export interface RefreshCalls {
  answered: number;
  /** Received and not answered yet. */
  pending: FakeProviderCall[];
}

function refreshCalls(provider: FakeProvider): RefreshCalls {
  const calls = provider.tokenCalls('refresh_token');
  return { answered: calls.filter((call) => call.status !== 0).length, pending: calls.filter((call) => call.status === 0) };
}

/** Waits until at least `answered` refresh calls were answered while others are still pending at the provider. */
export async function waitForRefreshesInFlight(provider: FakeProvider, options: { answered: number; timeoutMs: number }): Promise<RefreshCalls> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const calls = refreshCalls(provider);
    if (calls.answered >= options.answered && calls.pending.length > 0) return calls;
    if (Date.now() > deadline) throw new Error(`no storm in flight within ${options.timeoutMs} ms: ${calls.answered} refresh calls answered, ${calls.pending.length} pending`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** What became of the storm's connections. */
export interface StormOutcome {
  rows: ConnectionEntity[];
  /** Rows whose credentials were rewritten (credentials_version moved) and that are active. */
  refreshed: ConnectionEntity[];
  invalid: ConnectionEntity[];
  degraded: ConnectionEntity[];
  /** last_refresh_failure_reason → number of rows. */
  reasons: Record<string, number>;
}

export async function stormOutcome(storm: Storm): Promise<StormOutcome> {
  const rows = await storm.api.deps.db.getRepository(ConnectionEntity).findBy({ id: In(storm.connections.map((c) => c.rowId)) });
  const reasons: Record<string, number> = {};
  for (const row of rows) if (row.lastRefreshFailureReason !== null) reasons[row.lastRefreshFailureReason] = (reasons[row.lastRefreshFailureReason] ?? 0) + 1;
  return {
    rows,
    refreshed: rows.filter((row) => row.status === 'active' && row.credentialsVersion > 1),
    invalid: rows.filter((row) => row.status === 'invalid'),
    degraded: rows.filter((row) => row.status === 'degraded'),
    reasons,
  };
}

/** Waits until every connection was refreshed or ended invalid or degraded; returns the outcome either way at the deadline. */
export async function waitUntilSettled(storm: Storm, timeoutMs: number): Promise<StormOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await stormOutcome(storm);
    const settled = outcome.refreshed.length + outcome.invalid.length + outcome.degraded.length;
    if (settled === storm.connections.length || Date.now() > deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The access token a row holds now. */
export function accessTokenOf(storm: Storm, row: ConnectionEntity): string {
  const credentials = decryptCredentials(storm.api.deps.cipher, row);
  if (credentials.type !== 'OAUTH2') throw new Error(`connection ${row.connectionId} holds ${credentials.type} credentials`);
  return credentials.access_token;
}

/** One line of figures for the test output. */
export function describeOutcome(label: string, outcome: StormOutcome, seconds: number): string {
  const reasons = Object.entries(outcome.reasons).map(([reason, n]) => `${reason}×${n}`).join(', ') || 'none';
  return `${label}: ${outcome.rows.length} connections, ${outcome.refreshed.length} refreshed, ${outcome.invalid.length} invalid, ${outcome.degraded.length} degraded, failure reasons: ${reasons}, ${seconds.toFixed(1)} s`;
}
