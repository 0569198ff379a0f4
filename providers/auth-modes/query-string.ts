/** Appending query parameters to a URL the way OAuth providers expect them. */

/**
 * Appends `params` to `url`'s query, keeping any query it already has. Values are encoded with
 * encodeURIComponent (space → %20), not URLSearchParams (space → +), as some providers do not
 * decode `+` in `scope`.
 */
export function appendQuery(url: string, params: ReadonlyMap<string, string>): string {
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const query = [...params].map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
  if (query === '') return url;
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${query}${fragment}`;
}
