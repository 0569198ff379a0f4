/** `<prefix>[<key>]=value` query parameters (Koa's query parser keeps the brackets in the name) as `{ key: value }`. */
export function bracketParams(query: Readonly<Record<string, unknown>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const start = `${prefix}[`;
  for (const [name, value] of Object.entries(query)) {
    if (name.startsWith(start) && name.endsWith(']') && name.length > start.length + 1 && typeof value === 'string') {
      out[name.slice(start.length, -1)] = value;
    }
  }
  return out;
}

/** The query without its `<prefix>[...]` parameters. */
export function withoutBracketParams(query: Readonly<Record<string, unknown>>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([name]) => !(name.startsWith(`${prefix}[`) && name.endsWith(']'))));
}
