/**
 * `last_fetched_at` without a write on the hot path (DESIGN.md §6): a read that hands credentials out
 * (GET, the proxy) is buffered per connection in memory, and the buffer is written in one batched UPDATE
 * at most {@link LAST_FETCHED_FLUSH_MS} after its first read, and on shutdown ({@link FetchRecorder.close}).
 * A connection read again within {@link LAST_FETCHED_GRANULARITY_MS} of its recorded read keeps that
 * time (as before: the column says when credentials were last handed out, to the minute), so a busy
 * connection costs one buffered entry a minute, and the column lags the truth by at most the flush interval.
 */
import type { Pool } from 'pg';

/** How long a buffered read waits before it is written (with every other read buffered by then). */
export const LAST_FETCHED_FLUSH_MS = 5_000;
/** A read this soon after the recorded one is not recorded again. */
export const LAST_FETCHED_GRANULARITY_MS = 60_000;
/** Rows per UPDATE statement (a flush of more sends several). */
const ROWS_PER_STATEMENT = 5_000;

// Never moves the column back: another API instance may have recorded a later read.
const WRITE_READS = `UPDATE connection AS c SET last_fetched_at = GREATEST(c.last_fetched_at, r.at)
  FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at) WHERE c.id = r.id`;

/** What a read is recorded against: the row as read (its stored `lastFetchedAt`). */
export interface FetchedRow {
  id: string;
  lastFetchedAt: Date | null;
}

export class FetchRecorder {
  /** Reads not written yet, by row id. */
  private pending = new Map<string, Date>();
  /** Reads being written by the flush under way (still answered from memory until it commits). */
  private writing = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: () => Pool,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly flushMs = LAST_FETCHED_FLUSH_MS,
  ) {}

  /** Records a read of `row` at `now` (unless one was recorded within the granularity) and sets `row.lastFetchedAt` to the recorded read. */
  record(row: FetchedRow, now: Date): void {
    const known = latest(row.lastFetchedAt, this.pending.get(row.id) ?? this.writing.get(row.id) ?? null);
    if (known !== null && now.getTime() - known.getTime() < LAST_FETCHED_GRANULARITY_MS) {
      row.lastFetchedAt = known;
      return;
    }
    this.pending.set(row.id, now);
    row.lastFetchedAt = now;
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes every buffered read now (after a flush already under way). A failed write keeps its reads for the next flush. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Stops the timer and writes what is buffered (on shutdown, before the pool closes). */
  async close(): Promise<void> {
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    this.writing = this.pending;
    this.pending = new Map();
    try {
      const entries = [...this.writing];
      for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
        const chunk = entries.slice(start, start + ROWS_PER_STATEMENT);
        await this.pool().query(WRITE_READS, [chunk.map(([id]) => id), chunk.map(([, at]) => at)]);
      }
    } catch (error) {
      // Kept for the next flush (a later read of the same connection wins); the column only lags meanwhile.
      for (const [id, at] of this.writing) this.pending.set(id, latest(at, this.pending.get(id) ?? null)!);
      this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
      this.onError(error);
    } finally {
      this.writing = new Map();
    }
  }
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}
