import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { nangoEntrySchema } from '../../../providers/catalog-schema';
import { readProxyHeaders } from '../../../src/proxy/proxy-headers';
import { proxyTarget } from '../../../src/proxy/proxy-target';

const entry = nangoEntrySchema.parse({
  display_name: 'Zen',
  auth_mode: 'API_KEY',
  connection_config: { subdomain: { type: 'string', title: 'Subdomain', pattern: '^[a-z0-9-]+$' } },
  proxy: { base_url: 'https://${connectionConfig.subdomain}.zen.example/api/v2' },
});

function thrown(run: () => unknown): { code?: string } {
  try {
    run();
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a throw');
}

describe('proxy target URL', () => {
  const input = { entry, connectionConfig: { subdomain: 'acme' }, baseUrlOverride: null, allowPrivateNetworkTargets: false };

  it("joins the catalog's base URL, filled with the connection config, with the endpoint and its query", () => {
    expect(proxyTarget({ ...input, endpoint: '/tickets?page=2' }).toString()).to.equal('https://acme.zen.example/api/v2/tickets?page=2');
    expect(proxyTarget({ ...input, endpoint: 'tickets' }).toString()).to.equal('https://acme.zen.example/api/v2/tickets');
  });

  it('refuses a connection config that would change the host (the one interpolation function)', () => {
    expect(thrown(() => proxyTarget({ ...input, connectionConfig: { subdomain: 'evil.com/x' }, endpoint: '/t' })).code).to.equal('invalid_connection_config');
  });

  it('takes an https Base-Url-Override to a public host; refuses http and private hosts unless private targets are allowed', () => {
    expect(proxyTarget({ ...input, baseUrlOverride: 'https://eu.zen.example/v3', endpoint: '/t' }).toString()).to.equal('https://eu.zen.example/v3/t');
    expect(thrown(() => proxyTarget({ ...input, baseUrlOverride: 'http://eu.zen.example', endpoint: '/t' })).code).to.equal('invalid_headers');
    for (const host of ['https://127.0.0.1', 'https://10.0.0.8', 'https://169.254.169.254', 'https://[::1]', 'https://localhost']) {
      expect(thrown(() => proxyTarget({ ...input, baseUrlOverride: host, endpoint: '/t' })).code, host).to.equal('private_network_target');
    }
    expect(proxyTarget({ ...input, allowPrivateNetworkTargets: true, baseUrlOverride: 'http://127.0.0.1:9000', endpoint: '/t' }).toString()).to.equal('http://127.0.0.1:9000/t');
  });

  it('answers unsupported_provider for an entry without proxy.base_url and no override', () => {
    const bare = nangoEntrySchema.parse({ display_name: 'Bare', auth_mode: 'API_KEY' });
    expect(thrown(() => proxyTarget({ ...input, entry: bare, endpoint: '/t' })).code).to.equal('unsupported_provider');
  });
});

describe('proxy request headers', () => {
  const request = (raw: string[]) => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
    return { headers, rawHeaders: raw } as unknown as IncomingMessage;
  };

  it('reads the control headers and forwards only Nango-Proxy-* (prefix removed) and the body type', () => {
    const { control, forwarded } = readProxyHeaders(
      request(['Provider-Config-Key', 'zen', 'Connection-Id', 'c-1', 'Retries', '3', 'Retry-On', '418, 409', 'Nango-Proxy-X-Team', 'core', 'nango-proxy-accept', 'text/csv', 'Content-Type', 'application/json', 'Cookie', 'ours=1', 'Nango-Proxy-Host', 'evil.example']),
    );
    expect(control).to.include({ providerConfigKey: 'zen', connectionId: 'c-1', retries: 3, baseUrlOverride: null, idempotent: false });
    expect(control.retryOn).to.deep.equal([418, 409]);
    expect(forwarded).to.deep.equal({ 'x-team': 'core', accept: 'text/csv', 'content-type': 'application/json' });
  });

  it('refuses missing or malformed control headers with invalid_headers naming them', () => {
    const error = thrown(() => readProxyHeaders(request(['Connection-Id', 'c-1', 'Retries', 'many']))) as { code?: string; details?: { errors: Array<{ path: string[] }> } };
    expect(error.code).to.equal('invalid_headers');
  });
});
