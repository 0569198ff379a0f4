/** Reads workflow histories for assertions: every run of a continue-as-new chain, and a text form to search for secrets. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface RunHistory {
  runId: string;
  events: HistoryEvent[];
}

/** Every run of a workflow id, first to last, following continue-as-new links. */
export async function runHistories(client: Client, workflowId: string, firstRunId: string): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    runs.push({ runId, events });
    const last = events[events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (runs.length > 1000) throw new Error('continue-as-new chain too long');
  }
  return runs;
}

/** The history as JSON text, with every payload's data decoded, so a secret would show up as plain text. */
export function historyText(events: HistoryEvent[]): string {
  return JSON.stringify(events, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return value;
  });
}

/** Decodes a JSON payload list (activity results, workflow inputs). */
export function decodePayloads(payloads: temporal.api.common.v1.IPayloads | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => (p.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined));
}

export function eventTimeMs(event: HistoryEvent): number {
  const t = event.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** How many times a history ran activity `name`: scheduled activities and local activities (their markers). */
export function activityRuns(events: HistoryEvent[], name: string): number {
  return events.filter((e) => {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === name) return true;
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return false;
    const [data] = decodePayloads(marker.details?.data) as [{ activity_type?: string } | undefined];
    return data?.activity_type === name;
  }).length;
}
