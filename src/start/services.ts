/** Builds the long-lived services of a process from the configuration: cipher, stores, catalog, Temporal client. */
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { Cipher } from '../crypto/cipher';
import { resolveEncryptionKeys } from '../crypto/dev-encryption-key';
import { EnvironmentStore } from '../environments/environment-store';
import { IntegrationStore } from '../integrations/integration-store';
import { ConnectionStore } from '../connections/connection-store';
import type { Logger } from '../logger';
import { loadCatalog, type Catalog } from '../../providers/load-catalog';
import type { ApiDeps } from '../api/context';
import { createActivities } from '../../activities';

/** Loads the catalog (built-in plus PROVIDERS_FILE) and logs what an extra file could not contribute. */
export function loadConfiguredCatalog(config: Pick<Config, 'providersFile'>, logger: Logger): Catalog {
  const catalog = loadCatalog({ extraFile: config.providersFile });
  for (const { file, name, reason } of catalog.skipped) {
    logger.warn({ file, provider: name, reason }, `PROVIDERS_FILE entry left out: ${file}: ${name}: ${reason}`);
  }
  return catalog;
}

/** What a process's services are built from; the catalog is loaded once per process ({@link loadConfiguredCatalog}). */
export interface ServiceOptions {
  config: Config;
  db: DataSource;
  logger: Logger;
  temporal: Client;
  catalog: Catalog;
  /** The storage's pooled connections share one session (the embedded PGlite). */
  sharedSession?: boolean;
}

/** Everything the API needs. */
export function apiDeps(options: ServiceOptions): ApiDeps {
  const cipher = cipherFor(options.config);
  return {
    ...options,
    cipher,
    environments: new EnvironmentStore(options.db, cipher),
    integrations: new IntegrationStore(options.db, cipher),
    connections: new ConnectionStore(options.db, cipher, {
      namedStatements: !options.sharedSession,
      onFetchFlushError: (error) => options.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'last_fetched_at not written; kept for the next flush'),
    }),
  };
}

/** The activities the worker registers, on the same storage and keys as the API. */
export function workerActivities(options: ServiceOptions) {
  return createActivities({
    db: options.db,
    cipher: cipherFor(options.config),
    catalog: options.catalog,
    config: options.config,
    logger: options.logger,
    temporal: options.temporal,
  });
}

/** The key ring of the configuration; legacy values (no associated data) are read unless ENCRYPTION_REFUSE_LEGACY is set. */
export function cipherFor(config: Config): Cipher {
  return new Cipher(resolveEncryptionKeys(config), { acceptLegacy: !config.refuseLegacyCiphertexts });
}
