/** Many connections on a lifecycle rig, each connected and its workflow started (as an import does), 25 at a time. */
import type { ConnectionEntity } from '../../src/db/entities';
import type { Lifecycle } from './lifecycle';
import { mapLimit } from './map-limit';

export interface StartedConnection {
  row: ConnectionEntity;
  workflowId: string;
  firstRunId: string;
}

/** Connections `<prefix>-0` … `<prefix>-<count - 1>`, in that order. */
export function connectMany(rig: Lifecycle, prefix: string, count: number): Promise<StartedConnection[]> {
  return mapLimit(Array.from({ length: count }, (_, i) => `${prefix}-${i}`), 25, async (id) => {
    const row = await rig.connect(id);
    return { row, ...(await rig.startWorkflow(row)) };
  });
}
