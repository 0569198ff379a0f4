/**
 * A browser's cookies for raw-HTTP tests: `jar.fetch` sends the cookies whose path matches and keeps
 * what `Set-Cookie` answers (Max-Age=0 deletes). Hosts are not told apart (every test server is on
 * 127.0.0.1, and browsers ignore ports for cookies). Redirects are followed by the jar itself, so the
 * cookies set along the way are carried, as a browser does. A cookie is its name and path together
 * (RFC 6265 §5.3): the same name set on two paths is two cookies.
 */
interface Cookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number;
}

export class CookieJar {
  private readonly cookies = new Map<string, Cookie>();

  /** `fetch` as this browser: cookies in, cookies out; `redirect: 'manual'` stops at the first answer. */
  fetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(input);
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init.headers);
      const cookie = this.header(url);
      if (cookie !== '') headers.set('cookie', cookie);
      const response = await fetch(url, { ...init, headers, redirect: 'manual' });
      this.keep(response, url);
      const location = response.headers.get('location');
      if (init.redirect === 'manual' || location === null || response.status < 300 || response.status > 399 || hop >= 10) return response;
      url = new URL(location, url);
    }
  };

  /** The names of the cookies currently held (for assertions). */
  names(): string[] {
    this.expire();
    return [...new Set([...this.cookies.values()].map((c) => c.name))];
  }

  private header(url: URL): string {
    this.expire();
    return [...this.cookies.values()].filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  private keep(response: Response, url: URL): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const attr = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.slice(a.indexOf('=') + 1)]));
      const maxAge = attr.has('max-age') ? Number(attr.get('max-age')) : Infinity;
      const path = attr.get('path') ?? url.pathname.replace(/\/[^/]*$/, '') ?? '/';
      const key = `${name}\u0000${path}`;
      if (maxAge <= 0) this.cookies.delete(key);
      else this.cookies.set(key, { name, value: pair.slice(at + 1), path, expiresAt: Date.now() + maxAge * 1000 });
    }
  }

  private expire(): void {
    for (const [key, c] of this.cookies) if (c.expiresAt <= Date.now()) this.cookies.delete(key);
  }
}
