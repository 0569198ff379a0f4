import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One proxy rate budget (token bucket) of a connection or an integration; written by RateBudgets in SQL. */
@Entity({ name: 'proxy_rate_bucket' })
export class ProxyRateBucketEntity {
  /** `c:<connection row id>` or `i:<integration id>`. */
  @PrimaryColumn({ type: 'varchar', length: 80 }) key!: string;
  @Column({ type: 'double precision' }) tokens!: number;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
