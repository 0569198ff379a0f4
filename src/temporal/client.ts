/** The Temporal client the API uses to start, signal, update and query workflows. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { temporalConnectionOptions } from './connection-options';

/** Connects to Temporal with the configured address, namespace, TLS and API key. */
export async function connectTemporalClient(config: Pick<Config, 'temporal'>): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '10 seconds' });
  return new Client({ connection, namespace: config.temporal.namespace });
}

// A readiness probe must answer quickly: without a deadline the client's gRPC retries take ~20 s.
const READINESS_TIMEOUT_MS = 3_000;

/** Whether the Temporal frontend answers (readiness) within a few seconds. */
export async function temporalIsReachable(client: Client): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => client.connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
