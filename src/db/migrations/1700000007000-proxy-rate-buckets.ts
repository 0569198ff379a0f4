import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The proxy's rate budgets (token buckets): one row per connection or integration that has a budget,
 * with the tokens left at `updated_at` (the database's clock, so every API instance counts alike).
 * Rows lock one request at a time; they hold no secret.
 */
export class ProxyRateBuckets1700000007000 implements MigrationInterface {
  name = 'ProxyRateBuckets1700000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE proxy_rate_bucket (key varchar(80) PRIMARY KEY, tokens double precision NOT NULL, updated_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE proxy_rate_bucket`);
  }
}
