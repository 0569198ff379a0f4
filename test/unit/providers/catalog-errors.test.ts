import { expect } from 'chai';
import { CatalogError } from '../../../src/errors';
import { loadCatalog } from '../../../providers/load-catalog';
import { tempDir, thrownBy } from './fixtures';

const VALID_OAUTH2 = [
  'display_name: Acme',
  'categories: [other]',
  'docs: https://acme.example.com/docs',
  'auth_mode: OAUTH2',
  'authorization_url: https://acme.example.com/oauth/authorize',
  'token_url: https://acme.example.com/oauth/token',
];

/** Loads a catalog directory holding `good.yaml` and `broken.yaml`; returns the error and the broken file's path. */
function loadBroken(lines: string[], fileName = 'broken.yaml'): { error: unknown; file: string } {
  const files = tempDir({ 'good.yaml': VALID_OAUTH2.join('\n'), [fileName]: lines.join('\n') });
  try {
    return { error: thrownBy(() => loadCatalog({ dir: files.dir })), file: files.file(fileName) };
  } finally {
    files.remove();
  }
}

function expectCatalogError(outcome: { error: unknown; file: string }, field: string, message: RegExp): void {
  const { error, file } = outcome;
  expect(error).to.be.instanceOf(CatalogError);
  const catalogError = error as CatalogError;
  expect(catalogError.code).to.equal('invalid_provider_catalog');
  expect(catalogError.file).to.equal(file);
  expect(catalogError.field).to.equal(field);
  expect(catalogError.message).to.match(message);
  expect(catalogError.message.startsWith(`${file}: ${field}: `)).to.equal(true);
}

describe('loadCatalog rejects a broken entry, naming its file and field', () => {
  it('accepts the valid sibling file on its own', () => {
    const files = tempDir({ 'good.yaml': VALID_OAUTH2.join('\n') });
    try {
      expect(loadCatalog({ dir: files.dir }).size).to.equal(1);
    } finally {
      files.remove();
    }
  });

  it('a URL that is not a URL', () => {
    const lines = VALID_OAUTH2.map((line) => (line.startsWith('authorization_url') ? 'authorization_url: acme.example.com/oauth' : line));
    expectCatalogError(loadBroken(lines), 'authorization_url', /not an absolute URL/);
  });

  it('a plain-http URL to a public host', () => {
    const lines = VALID_OAUTH2.map((line) => (line.startsWith('token_url') ? 'token_url: http://acme.example.com/oauth/token' : line));
    expectCatalogError(loadBroken(lines), 'token_url', /must use https/);
  });

  it('an unknown top-level key', () => {
    expectCatalogError(loadBroken([...VALID_OAUTH2, 'webhook_routing_script: acmeRouting']), 'webhook_routing_script', /unknown key/);
  });

  it('an unknown nested key', () => {
    const lines = [...VALID_OAUTH2, 'proxy:', '  base_url: https://api.acme.example.com', '  paginate:', '    type: cursor'];
    expectCatalogError(loadBroken(lines), 'proxy.paginate', /unknown key/);
  });

  it('an auth mode Custodian does not implement', () => {
    const lines = VALID_OAUTH2.map((line) => (line.startsWith('auth_mode') ? 'auth_mode: OAUTH3' : line));
    expectCatalogError(loadBroken(lines), 'auth_mode', /OAUTH2/);
  });

  it('an OAUTH2 entry without token_url', () => {
    expectCatalogError(loadBroken(VALID_OAUTH2.filter((line) => !line.startsWith('token_url'))), 'token_url', /required when auth_mode is OAUTH2/);
  });

  // A quality rule for the data we ship; PROVIDERS_FILE entries may leave these out (load-catalog.test.ts).
  it('an entry of our own catalog without docs', () => {
    expectCatalogError(loadBroken(VALID_OAUTH2.filter((line) => !line.startsWith('docs'))), 'docs', /expected string/i);
  });

  it('an entry of our own catalog without categories', () => {
    expectCatalogError(loadBroken(VALID_OAUTH2.filter((line) => !line.startsWith('categories'))), 'categories', /expected array/i);
  });

  it('a field of our own catalog without a description', () => {
    const lines = [...VALID_OAUTH2, 'connection_config:', '  subdomain:', '    type: string', '    title: Subdomain'];
    expectCatalogError(loadBroken(lines), 'connection_config.subdomain.description', /expected string/i);
  });

  it('an OAUTH1 entry without request_url', () => {
    const lines = VALID_OAUTH2.map((line) => (line.startsWith('auth_mode') ? 'auth_mode: OAUTH1' : line));
    expectCatalogError(loadBroken(lines), 'request_url', /required when auth_mode is OAUTH1/);
  });

  it('a field pattern that is not a regular expression', () => {
    const lines = [...VALID_OAUTH2, 'connection_config:', '  subdomain:', '    type: string', '    title: Subdomain', '    description: d', "    pattern: '^[a-z'"];
    expectCatalogError(loadBroken(lines), 'connection_config.subdomain.pattern', /valid regular expression/);
  });

  it('a credential placed in a URL', () => {
    const lines = [...VALID_OAUTH2, 'proxy:', '  base_url: https://api.acme.example.com/${apiKey}'];
    expectCatalogError(loadBroken(lines), 'proxy.base_url', /\$\{apiKey\} is not allowed in a URL/);
  });

  it('a placeholder Custodian cannot fill', () => {
    const lines = [...VALID_OAUTH2, 'authorization_params:', '  nonce: ${uuid}'];
    expectCatalogError(loadBroken(lines), 'authorization_params.nonce', /unsupported placeholder \$\{uuid\}/);
  });

  it('a per-request value where only connection config may go', () => {
    const lines = [...VALID_OAUTH2, 'authorization_params:', '  nonce: ${random}'];
    expectCatalogError(loadBroken(lines), 'authorization_params.nonce', /\$\{random\} is not allowed here \(only connectionConfig\)/);
  });

  it('a verification without proxy.base_url', () => {
    const lines = [...VALID_OAUTH2, 'proxy:', '  verification:', '    endpoints: [/me]'];
    expectCatalogError(loadBroken(lines), 'proxy.base_url', /required when proxy.verification is set/);
  });

  it('a verification endpoint that is a full URL', () => {
    const lines = [...VALID_OAUTH2, 'proxy:', '  base_url: https://api.acme.example.com', '  verification:', '    endpoints: [https://evil.example/me]'];
    expectCatalogError(loadBroken(lines), 'proxy.verification.endpoints[0]', /must be a path/);
  });

  it('a file name that is not a provider name', () => {
    expectCatalogError(loadBroken(VALID_OAUTH2, 'acme corp.yaml'), '(file name)', /\^\[a-zA-Z0-9_-\]\+\$/);
  });

  it('a file that is not valid YAML', () => {
    expectCatalogError(loadBroken(['display_name: [unclosed']), '(yaml)', /./);
  });
});
