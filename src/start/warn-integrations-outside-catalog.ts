/** Start-up check: integrations whose provider left the catalog are named in the log, one warning each. */
import type { DataSource } from 'typeorm';
import type { Catalog } from '../../providers/load-catalog';
import { providerNotInCatalogMessage } from '../integrations/catalog-entry';
import type { Logger } from '../logger';

interface IntegrationRow {
  environment: string;
  unique_key: string;
  provider: string;
}

/** Logs one warning per integration (any environment) whose provider is not in the catalog; returns how many. */
export async function warnIntegrationsOutsideCatalog(db: DataSource, catalog: Pick<Catalog, 'has'>, logger: Logger): Promise<number> {
  const rows: IntegrationRow[] = await db.query(
    `SELECT e.name AS environment, i.unique_key, i.provider
       FROM integration i JOIN environment e ON e.id = i.environment_id
      ORDER BY e.name, i.unique_key`,
  );
  const outside = rows.filter((row) => !catalog.has(row.provider));
  for (const row of outside) {
    const message = providerNotInCatalogMessage({ uniqueKey: row.unique_key, provider: row.provider });
    logger.warn({ environment: row.environment, integration: row.unique_key, provider: row.provider }, `environment "${row.environment}": ${message}`);
  }
  return outside.length;
}
