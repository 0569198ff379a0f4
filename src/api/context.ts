/** What every route can reach, and what authentication leaves on `ctx.state`. */
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Cipher } from '../crypto/cipher';
import type { ConnectSessionEntity, EnvironmentEntity } from '../db/entities';
import type { EnvironmentStore } from '../environments/environment-store';
import type { ConnectionStore } from '../connections/connection-store';
import type { IntegrationStore } from '../integrations/integration-store';
import type { Logger } from '../logger';
import type { Catalog } from '../../providers/load-catalog';
import type { AuthOutcomePublisher } from './websocket/auth-websocket';

/** Dependencies of the API, built once at start. */
export interface ApiDeps {
  config: Config;
  db: DataSource;
  cipher: Cipher;
  catalog: Catalog;
  logger: Logger;
  environments: EnvironmentStore;
  integrations: IntegrationStore;
  connections: ConnectionStore;
  /** Absent only in tests that do not need Temporal. */
  temporal?: Client;
  /** Pushes an attempt's outcome to the browser's WebSocket, on whichever instance holds it (absent: no WebSocket). */
  authOutcomes?: AuthOutcomePublisher;
}

/** Who is calling: a backend with a secret key, or a browser with a connect session token. */
export type Caller =
  | { kind: 'secret_key'; environment: EnvironmentEntity }
  | { kind: 'session'; environment: EnvironmentEntity; session: ConnectSessionEntity };

export interface ApiState {
  caller: Caller;
}
