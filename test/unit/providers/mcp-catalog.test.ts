import { expect } from 'chai';
import path from 'node:path';
import { describeIssue, nangoEntrySchema, providerEntrySchema } from '../../../providers/catalog-schema';
import { loadCatalog } from '../../../providers/load-catalog';
import { loadNangoProvidersFile } from '../../../providers/nango-providers-file';
import { refusePrivateUserHosts } from '../../../src/authorization/user-host-check';
import { ValidationError } from '../../../src/errors';
import { thrownBy } from './fixtures';

const NANGO_FILE = path.join(__dirname, '../../../node_modules/@nangohq/providers/providers.yaml');

const mcpEntry = (overrides: Record<string, unknown> = {}) => ({
  display_name: 'Some MCP',
  categories: ['mcp'],
  docs: 'https://example.com/docs',
  auth_mode: 'MCP_OAUTH2',
  client_registration: 'dynamic',
  authorization_url: 'https://auth.example.com/authorize',
  token_url: 'https://auth.example.com/token',
  registration_url: 'https://auth.example.com/register',
  authorization_params: { resource: 'https://mcp.example.com/mcp' },
  ...overrides,
});

function problemOf(entry: Record<string, unknown>): string {
  const result = providerEntrySchema.safeParse(entry);
  if (result.success) throw new Error('expected the entry to be refused');
  const { field, message } = describeIssue(result.error.issues[0]!);
  return `${field}: ${message}`;
}

describe('MCP entries in the catalog', () => {
  const catalog = loadCatalog();
  const mcpEntries = catalog.list().filter(({ entry }) => entry.auth_mode === 'MCP_OAUTH2');

  it('has at least five MCP servers with their endpoints, and the generic one', () => {
    expect(mcpEntries.map(({ name }) => name)).to.include.members(['airtable-mcp', 'asana-mcp', 'granola-mcp', 'neon-mcp', 'sanity-mcp']);
    expect(catalog.get('mcp-generic')?.auth_mode).to.equal('MCP_OAUTH2_GENERIC');
  });

  it('names, for each MCP server, its canonical https URI as the resource and how its client is registered', () => {
    for (const { name, entry } of mcpEntries) {
      const resource = entry.authorization_params?.['resource'];
      expect(resource, name).to.be.a('string');
      expect(new URL(resource!).protocol, name).to.equal('https:');
      expect(entry.client_registration, name).to.be.oneOf(['dynamic', 'static', 'cimd']);
      expect(entry.categories, name).to.include('mcp');
    }
  });

  it('takes the generic server URL through the private-network check at flow start (its proxy base URL is the user\'s host)', () => {
    const generic = catalog.get('mcp-generic')!;
    expect(() => refusePrivateUserHosts(generic, { mcp_server_url: 'https://mcp.example.com/mcp' }, false)).to.not.throw();
    const refused = thrownBy(() => refusePrivateUserHosts(generic, { mcp_server_url: 'https://127.0.0.1/mcp' }, false));
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).code).to.equal('private_network_target');
    expect(() => refusePrivateUserHosts(generic, { mcp_server_url: 'https://127.0.0.1/mcp' }, true)).to.not.throw();
  });
});

describe('MCP keys of the catalog schema', () => {
  it('accepts a complete MCP_OAUTH2 entry', () => {
    expect(providerEntrySchema.safeParse(mcpEntry()).success).to.equal(true);
  });

  it('requires client_registration, and a registration_url for dynamic registration', () => {
    expect(problemOf(mcpEntry({ client_registration: undefined }))).to.equal('client_registration: is required when auth_mode is MCP_OAUTH2');
    expect(problemOf(mcpEntry({ registration_url: undefined }))).to.equal('registration_url: is required when client_registration is dynamic');
    expect(problemOf(mcpEntry({ client_registration: 'manual' }))).to.match(/^client_registration: /);
  });

  it('requires the mcp_server_url field for MCP_OAUTH2_GENERIC', () => {
    const generic = { display_name: 'Generic', categories: ['mcp'], docs: 'https://example.com/docs', auth_mode: 'MCP_OAUTH2_GENERIC' };
    expect(problemOf(generic)).to.equal('connection_config.mcp_server_url: is required when auth_mode is MCP_OAUTH2_GENERIC');
  });

  it('refuses the registration keys on another auth mode', () => {
    const oauth2 = { ...mcpEntry(), auth_mode: 'OAUTH2', client_registration: undefined, authorization_params: undefined };
    expect(problemOf(oauth2)).to.equal('registration_url: is only used when auth_mode is MCP_OAUTH2');
  });

  it('loads every MCP entry of Nango\'s providers.yaml through the lenient loader', () => {
    const { entries, rejected } = loadNangoProvidersFile(NANGO_FILE);
    const mcp = [...entries.values()].filter((entry) => entry.auth_mode === 'MCP_OAUTH2' || entry.auth_mode === 'MCP_OAUTH2_GENERIC');
    expect(mcp).to.have.length(32);
    expect(rejected.filter((entry) => entry.name.includes('mcp'))).to.deep.equal([]);
    expect(nangoEntrySchema.safeParse({ auth_mode: 'MCP_OAUTH2', display_name: 'x', client_registration: 'static', authorization_url: 'https://a.example/a', token_url: 'https://a.example/t' }).success).to.equal(true);
  });
});
