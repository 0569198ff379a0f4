/**
 * A browser's cookies for raw-HTTP tests: `jar.fetch` sends the cookies whose path matches and keeps
 * what `Set-Cookie` answers (Max-Age=0 deletes). Hosts are not told apart (every test server is on
 * 127.0.0.1, and browsers ignore ports for cookies). Redirects are followed by the jar itself, so the
 * cookies set along the way are carried, as a browser does.
 */
interface Cookie {
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
    return [...this.cookies.keys()];
  }

  private header(url: URL): string {
    this.expire();
    return [...this.cookies].filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)).map(([name, c]) => `${name}=${c.value}`).join('; ');
  }

  private keep(response: Response, url: URL): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const attr = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.slice(a.indexOf('=') + 1)]));
      const maxAge = attr.has('max-age') ? Number(attr.get('max-age')) : Infinity;
      if (maxAge <= 0) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(at + 1), path: attr.get('path') ?? url.pathname.replace(/\/[^/]*$/, '') ?? '/', expiresAt: Date.now() + maxAge * 1000 });
    }
  }

  private expire(): void {
    for (const [name, c] of this.cookies) if (c.expiresAt <= Date.now()) this.cookies.delete(name);
  }
}
