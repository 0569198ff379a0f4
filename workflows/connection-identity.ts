/**
 * How (environment, integration key, connection id) becomes one string: the connection workflow's id
 * and any in-process key built from those parts. Each part is percent-encoded for `%` and `:` only,
 * then the parts are joined with `:`; an encoded part never contains `:` and decodes one way, so two
 * different triples can never give the same string (DESIGN.md §4.1). Parts without `%` or `:` are
 * unchanged, so ordinary ids read in the Web UI exactly as they always did.
 * Pure string functions: imported by workflows, activities and the API alike.
 */

/** The one part of an identity, escaped so that it can sit between `:` separators. */
export function encodeIdPart(part: string): string {
  // Every `%` becomes `%25`, so a literal "%3A" in a part ("%253A") is never read as an encoded ":".
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

/** Joins parts into one key that no other list of the same length can produce. */
export function identityKey(...parts: readonly string[]): string {
  return parts.map(encodeIdPart).join(':');
}

/** The workflow id of a connection: readable in the Web UI, injective over its three parts. */
export function connectionWorkflowId(environment: string, integration: string, connectionId: string): string {
  return `connection:${identityKey(environment, integration, connectionId)}`;
}

/**
 * The id connection workflows had before the parts were encoded: a plain `:` join, which two
 * connections could share. Only the start-up migration (src/start/migrate-workflow-ids.ts) uses it.
 */
export function legacyConnectionWorkflowId(environment: string, integration: string, connectionId: string): string {
  return `connection:${environment}:${integration}:${connectionId}`;
}

/** Whether the encoding changes this triple's workflow id (some part holds `%` or `:`). */
export function workflowIdChanged(environment: string, integration: string, connectionId: string): boolean {
  return [environment, integration, connectionId].some((part) => /[%:]/.test(part));
}
