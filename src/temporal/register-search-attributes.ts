/**
 * Registers Custodian's search attributes on a Temporal cluster that lacks them (self-hosted clusters, docker-compose).
 * The dev server gets them as start flags; Temporal Cloud namespaces are configured by their owner, and an API key
 * usually may not call the operator service, so a refusal there is reported, not fatal.
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes';

const INDEXED_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

const UNIMPLEMENTED = 12;

export type RegistrationOutcome = { added: string[] } | { refused: string };

/** Adds the missing attributes; idempotent. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<RegistrationOutcome> {
  try {
    const known = await registeredNames(connection, namespace);
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
    if (missing.length === 0) return { added: [] };
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE[type]])),
    });
    return { added: missing.map(([name]) => name) };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

/** Names already registered; empty when the server cannot list them (the Java test server only implements adding). */
async function registeredNames(connection: Connection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(existing.customAttributes ?? {}));
  } catch (error) {
    if ((error as { code?: number }).code === UNIMPLEMENTED) return new Set();
    throw error;
  }
}
