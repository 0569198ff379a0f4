/**
 * What a provider URL may look like, and what a value may contain at each place in it.
 * Shared by catalog validation (templates) and interpolation (values).
 */

// Fake providers in tests are plain-HTTP servers on the loopback interface; nothing else may skip TLS.
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const HOST_LABELS = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
// scheme://host[:port][/path]: no user info, query or fragment; path characters that cannot start anything else.
const BASE_URL = /^(https?):\/\/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::\d{1,5})?((?:\/[A-Za-z0-9._~-]*)*)$/;

/** Why a fully rendered URL is unacceptable (not absolute https, has user info, …), or undefined. */
export function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'must use https (plain http only for localhost)';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry user info';
  if (url.host.toLowerCase() !== authorityOf(text).toLowerCase().replace(defaultPort(url.protocol), '')) {
    return 'has a host the URL parser reads differently';
  }
  return undefined;
}

/** Whether a value may be inserted inside a host name: dot-separated labels, nothing that ends the host. */
export function isHostValue(value: string): boolean {
  return HOST_LABELS.test(value);
}

/**
 * The value to insert where a placeholder stands for a whole base URL (`https://acme.my.salesforce.com`,
 * optionally with a path), without its trailing slash; undefined when the value is not one.
 */
export function baseUrlValue(value: string): string | undefined {
  const match = BASE_URL.exec(value);
  if (!match) return undefined;
  const [, scheme, host, path = ''] = match;
  if (scheme === 'http' && !LOOPBACK_HOSTS.has(host ?? '')) return undefined;
  // `..` segments would be resolved away by URL parsers, escaping the path the value claims.
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return value.replace(/\/+$/, '');
}

/** The authority as written: between `://` and the first `/`, `?` or `#`. */
function authorityOf(text: string): string {
  const start = text.indexOf('://') + 3;
  const rest = text.slice(start);
  const end = rest.search(/[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

function defaultPort(protocol: string): RegExp {
  return protocol === 'https:' ? /:443$/ : /:80$/;
}
