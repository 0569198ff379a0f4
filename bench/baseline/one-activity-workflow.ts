/** The import benchmark's baseline workflow: one activity that reads the row the import wrote, then the workflow ends. */
import { proxyActivities } from '@temporalio/workflow';

const { readImportedRow } = proxyActivities<{ readImportedRow(id: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function importBaselineWorkflow(rowId: string): Promise<void> {
  await readImportedRow(rowId);
}
