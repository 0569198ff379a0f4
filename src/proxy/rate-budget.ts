/**
 * The proxy's proactive rate limits: token buckets kept in PostgreSQL (`proxy_rate_bucket`), so every
 * API instance draws from the same budget without another server. A call takes one token from each of
 * its buckets (its connection's, its integration's) in one transaction that locks their rows (in key
 * order, so two calls never deadlock) and refills them from the time elapsed on the database's clock.
 * A call that finds a bucket empty is told how long until a token is back.
 */
import type { DataSource } from 'typeorm';

/** A budget: `perSecond` calls on average, up to `burst` at once. */
export interface Budget {
  readonly perSecond: number;
  readonly burst: number;
}

export interface Bucket {
  /** `c:<connection row id>` or `i:<integration id>`. */
  readonly key: string;
  readonly budget: Budget;
}

export type Draw = { granted: true } | { granted: false; retryAfterMs: number };

export class RateBudgets {
  constructor(private readonly db: DataSource) {}

  /** Takes one token from every bucket, or none when one of them is empty. */
  async take(buckets: readonly Bucket[]): Promise<Draw> {
    if (buckets.length === 0) return { granted: true };
    const sorted = [...buckets].sort((a, b) => (a.key < b.key ? -1 : 1));
    return this.db.transaction(async (manager) => {
      for (const { key, budget } of sorted) {
        await manager.query(`INSERT INTO proxy_rate_bucket (key, tokens, updated_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (key) DO NOTHING`, [key, budget.burst]);
      }
      const rows = (await manager.query(
        `SELECT key, tokens, EXTRACT(EPOCH FROM (clock_timestamp() - updated_at)) AS elapsed FROM proxy_rate_bucket WHERE key = ANY($1) ORDER BY key FOR UPDATE`,
        [sorted.map((bucket) => bucket.key)],
      )) as Array<{ key: string; tokens: number; elapsed: string | number }>;
      const available = sorted.map(({ key, budget }) => {
        const row = rows.find((candidate) => candidate.key === key)!;
        return { key, budget, tokens: Math.min(budget.burst, Number(row.tokens) + Math.max(0, Number(row.elapsed)) * budget.perSecond) };
      });
      const short = available.filter((bucket) => bucket.tokens < 1);
      if (short.length > 0) {
        const waitMs = Math.max(...short.map((bucket) => ((1 - bucket.tokens) / bucket.budget.perSecond) * 1000));
        return { granted: false, retryAfterMs: Math.ceil(waitMs) };
      }
      for (const bucket of available) {
        await manager.query(`UPDATE proxy_rate_bucket SET tokens = $2, updated_at = clock_timestamp() WHERE key = $1`, [bucket.key, bucket.tokens - 1]);
      }
      return { granted: true };
    });
  }
}
