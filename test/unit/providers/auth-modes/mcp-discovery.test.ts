import { expect } from 'chai';
import type { CallContext } from '../../../../providers/auth-modes/auth-mode';
import {
  authorizationServerMetadataUrls,
  canonicalResource,
  discoverMcpServer,
  parseBearerChallenge,
  protectedResourceMetadataUrls,
} from '../../../../providers/auth-modes/mcp-discovery';
import { CustodianError } from '../../../../src/errors';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountMcp, type McpFake, type McpFakeKnobs } from '../../../support/fake-modes/mcp';

const CALL: CallContext = { now: new Date('2030-01-01T00:00:00Z'), timeoutMs: 10_000 };
const CTX = { provider: 'Fake MCP', call: CALL };

async function failureOf(promise: Promise<unknown>): Promise<CustodianError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CustodianError);
    return error as CustodianError;
  }
  throw new Error('expected a failure');
}

describe('MCP discovery: the well-known URIs and challenges', () => {
  it('reads resource_metadata and scope from a Bearer challenge, quoted or not, among other parameters', () => {
    expect(parseBearerChallenge('Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read files:write"')).to.deep.equal({
      resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource',
      scopes: ['files:read', 'files:write'],
    });
    expect(parseBearerChallenge('Bearer resource_metadata=https://a.example/rm')).to.deep.equal({ resourceMetadata: 'https://a.example/rm', scopes: [] });
    expect(parseBearerChallenge('Basic realm="x"')).to.deep.equal({ scopes: [] });
    expect(parseBearerChallenge(null)).to.deep.equal({ scopes: [] });
  });

  it('lists the protected-resource metadata URIs path-inserted first, then the root (RFC 9728 §3.1)', () => {
    expect(protectedResourceMetadataUrls('https://example.com/public/mcp').map((u) => u.url)).to.deep.equal([
      'https://example.com/.well-known/oauth-protected-resource/public/mcp',
      'https://example.com/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://example.com/').map((u) => u.url)).to.deep.equal(['https://example.com/.well-known/oauth-protected-resource']);
  });

  it('lists authorization-server metadata URIs in the MCP 2025-11-25 order, with and without an issuer path', () => {
    expect(authorizationServerMetadataUrls('https://auth.example.com/tenant1')).to.deep.equal([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
    ]);
    expect(authorizationServerMetadataUrls('https://auth.example.com')).to.deep.equal([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
  });

  it('canonicalises a server URI: lower-case host, no fragment, no trailing slash', () => {
    expect(canonicalResource('https://MCP.Example.com/mcp/#x')).to.equal('https://mcp.example.com/mcp');
    expect(canonicalResource('https://mcp.example.com/')).to.equal('https://mcp.example.com');
    expect(canonicalResource('https://mcp.example.com:8443')).to.equal('https://mcp.example.com:8443');
  });
});

describe('MCP discovery against a fake MCP server', () => {
  let provider: FakeProvider;
  let mcp: McpFake;

  before(async () => {
    provider = await startFakeProvider();
  });
  after(() => provider.close());

  function withKnobs(knobs: Partial<McpFakeKnobs> = {}): McpFake {
    provider.reset();
    mcp = mountMcp(provider, knobs);
    return mcp;
  }

  it('follows the resource_metadata of the 401 and reads the authorization server it names', async () => {
    withKnobs({ challengeScope: 'mcp:tools mcp:read' });
    const found = await discoverMcpServer(mcp.serverUrl, CTX);
    expect(found.resourceMetadataFrom).to.equal('challenge');
    expect(found.resource).to.equal(mcp.resource);
    expect(found.scopes).to.deep.equal(['mcp:tools', 'mcp:read']);
    expect(found.authorizationServer).to.deep.equal({
      issuer: mcp.issuer,
      authorizationEndpoint: `${mcp.issuer}/authorize`,
      tokenEndpoint: `${mcp.issuer}/token`,
      registrationEndpoint: `${mcp.issuer}/register`,
      clientIdMetadataDocumentSupported: false,
    });
    expect(mcp.paths).to.deep.equal(['/mcp', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server/as']);
  });

  it('without resource_metadata in the challenge, tries the path-inserted well-known URI, then the root one', async () => {
    withKnobs({ challenge: 'bare', resourceMetadataAt: 'root' });
    const found = await discoverMcpServer(mcp.serverUrl, CTX);
    expect(found.resourceMetadataFrom).to.equal('well-known-root');
    // No scope in the challenge: the resource's scopes_supported (MCP "Scope Selection Strategy").
    expect(found.scopes).to.deep.equal(['mcp:tools']);
    expect(mcp.paths).to.deep.equal(['/mcp', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource', '/.well-known/oauth-authorization-server/as']);
  });

  it('falls back to OpenID discovery, path-inserted then path-appended, when there is no RFC 8414 metadata', async () => {
    withKnobs({ asMetadata: 'oidc-appended' });
    const found = await discoverMcpServer(mcp.serverUrl, CTX);
    expect(found.authorizationServer.tokenEndpoint).to.equal(`${mcp.issuer}/token`);
    expect(mcp.paths.slice(2)).to.deep.equal(['/.well-known/oauth-authorization-server/as', '/.well-known/openid-configuration/as', '/as/.well-known/openid-configuration']);

    withKnobs({ asMetadata: 'oidc-inserted' });
    await discoverMcpServer(mcp.serverUrl, CTX);
    expect(mcp.paths.slice(2)).to.deep.equal(['/.well-known/oauth-authorization-server/as', '/.well-known/openid-configuration/as']);
  });

  it('treats a server without protected-resource metadata (2025-03-26) as its own authorization server, at its origin', async () => {
    withKnobs({ resourceMetadataAt: 'none', asMetadata: 'oidc-inserted' });
    const found = await discoverMcpServer(mcp.serverUrl, CTX);
    expect(found.resourceMetadataFrom).to.equal('none');
    expect(found.resource).to.equal(mcp.serverUrl);
    expect(found.authorizationServer.issuer).to.equal(provider.url);
    expect(mcp.paths).to.deep.equal([
      '/mcp',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]);
  });

  it('refuses an authorization server that does not advertise PKCE S256', async () => {
    withKnobs({ pkceMethods: null });
    expect((await failureOf(discoverMcpServer(mcp.serverUrl, CTX))).code).to.equal('mcp_pkce_unsupported');
    withKnobs({ pkceMethods: ['plain'] });
    expect((await failureOf(discoverMcpServer(mcp.serverUrl, CTX))).code).to.equal('mcp_pkce_unsupported');
  });

  it('refuses metadata describing another resource, or naming another issuer', async () => {
    withKnobs({ declaredResource: 'https://elsewhere.example/mcp' });
    const otherResource = await failureOf(discoverMcpServer(mcp.serverUrl, CTX));
    expect(otherResource.code).to.equal('mcp_discovery_failed');
    expect(otherResource.message).to.contain('another resource');

    withKnobs({ declaredIssuer: 'https://evil.example' });
    const otherIssuer = await failureOf(discoverMcpServer(mcp.serverUrl, CTX));
    expect(otherIssuer.code).to.equal('mcp_discovery_failed');
    expect(otherIssuer.message).to.contain('another issuer');
  });

  it('accepts metadata whose resource contains the server URL (same origin, a path prefix)', async () => {
    withKnobs({ declaredResource: provider.url });
    const found = await discoverMcpServer(mcp.serverUrl, CTX);
    expect(found.resource).to.equal(provider.url);
  });

  it('fails with mcp_discovery_failed when the authorization server publishes no metadata anywhere', async () => {
    withKnobs({ asMetadata: 'none' });
    const failure = await failureOf(discoverMcpServer(mcp.serverUrl, CTX));
    expect(failure.code).to.equal('mcp_discovery_failed');
    expect(failure.message).to.contain('publishes no OAuth or OpenID metadata');
  });

  it('refuses to reach a loopback MCP server while private network targets are refused, before any request is sent', async () => {
    withKnobs();
    const failure = await failureOf(discoverMcpServer(mcp.serverUrl, { ...CTX, call: { ...CALL, refusePrivateUserHosts: true } }));
    expect(failure.code).to.equal('private_network_target');
    expect(mcp.paths).to.deep.equal([]);
  });
});
