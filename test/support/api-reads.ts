/**
 * Reads a connection as `GET /connections/:id` does, on a given clock (a time-skipping test server's):
 * the row as stored, then ConnectionService.readFresh (a refresh through the workflow when due), then the
 * read recorded in `last_fetched_at`, which is what REFRESH_POLICY=by-use looks at.
 */
import type { Client } from '@temporalio/client';
import { ConnectionService } from '../../src/connections/connection-service';
import type { ConnectionEntity } from '../../src/db/entities';
import { createLogger } from '../../src/logger';
import type { Lifecycle } from './lifecycle';

export type ApiRead = (connectionId: string, now: Date) => Promise<{ stored: ConnectionEntity; served: ConnectionEntity }>;

export function apiReader(client: Client, rig: Lifecycle): ApiRead {
  const service = new ConnectionService({ db: rig.db, cipher: rig.cipher, catalog: rig.catalog, config: rig.config, connections: rig.connections, temporal: client, logger: createLogger('silent') });
  const scope = { environment: rig.environment, integration: rig.integration };
  return async (connectionId, now) => {
    const stored = (await rig.connections.find(rig.environment.id, rig.integration.id, connectionId))!;
    const served = await service.readFresh(scope, stored, { forceRefresh: false, now });
    await rig.db.query('UPDATE connection SET last_fetched_at = $1 WHERE id = $2', [now, stored.id]);
    return { stored, served };
  };
}
