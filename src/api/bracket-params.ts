/**
 * `<prefix>[<key>]=value` query parameters (Koa's query parser keeps the brackets in the name) as
 * `{ key: value }`. Reserved keys (`tags[__proto__]`) never get here: src/api/middleware/request-target.ts
 * refuses them; the result is still built with own data properties only, so no key can reach a prototype.
 */
export function bracketParams(query: Readonly<Record<string, unknown>>, prefix: string): Record<string, string> {
  const start = `${prefix}[`;
  return Object.fromEntries(
    Object.entries(query)
      .filter((pair): pair is [string, string] => pair[0].startsWith(start) && pair[0].endsWith(']') && pair[0].length > start.length + 1 && typeof pair[1] === 'string')
      .map(([name, value]) => [name.slice(start.length, -1), value]),
  );
}

/** The query without its `<prefix>[...]` parameters. */
export function withoutBracketParams(query: Readonly<Record<string, unknown>>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([name]) => !(name.startsWith(`${prefix}[`) && name.endsWith(']'))));
}
