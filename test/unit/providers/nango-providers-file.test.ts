import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { authorizationCodeUrl } from '../../../providers/auth-modes/oauth2';
import { AUTH_MODES } from '../../../providers/catalog-schema';
import { loadNangoProvidersFile, parseNangoProviders } from '../../../providers/nango-providers-file';
import { exerciseEntry } from './fixtures';

const NANGO_FILE = require.resolve('@nangohq/providers/providers.yaml');

type RawEntries = Record<string, { alias?: string; auth_mode?: string; connection_config?: Record<string, { enum?: unknown[] }> }>;

/** The auth mode an entry of the raw file ends up with, following `alias:`. */
function rawAuthMode(raw: RawEntries, name: string, seen: string[] = []): string | undefined {
  const entry = raw[name];
  if (!entry || seen.includes(name)) return undefined;
  return entry.auth_mode ?? (entry.alias === undefined ? undefined : rawAuthMode(raw, entry.alias, [...seen, name]));
}

/** A field's `enum` in the raw file (Nango's), to pick a sample value the converted pattern accepts. */
function rawEnum(raw: RawEntries, name: string, key: string): string[] {
  const entry = raw[name];
  const values = entry?.connection_config?.[key]?.enum ?? (entry?.alias === undefined ? undefined : rawEnum(raw, entry.alias, key));
  return (values ?? []).map(String);
}

function groupReasons(failures: { name: string; reason: string }[]): string {
  const groups = new Map<string, string[]>();
  for (const { name, reason } of failures) {
    // Group by the kind of problem, not the exact field or value.
    const kind = reason
      .replace(/^(rejected at load: [\w-]+)[\w.[\]-]*: /, '$1: ')
      .replace(/\$\{[A-Za-z][\w.]*\}/g, '${…}')
      .replace(/connectionConfig\.\w+/g, 'connectionConfig.…')
      .replace(/must match .*/, 'must match its pattern')
      .replace(/expected one of .*/, 'expected one of …');
    groups.set(kind, [...(groups.get(kind) ?? []), name]);
  }
  return [...groups]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([kind, names]) => `        ${String(names.length).padStart(3)}  ${kind}  (${names.join(', ')})`)
    .join('\n');
}

describe("Nango's providers.yaml through the lenient loader", () => {
  it('loads and exercises at least 95% of the entries whose auth mode Custodian supports', function () {
    // Parsing Nango's 28,000-line file takes a few seconds with the yaml package.
    this.timeout(30_000);
    const raw = parse(readFileSync(NANGO_FILE, 'utf8')) as RawEntries;
    const { entries, rejected, dropped } = loadNangoProvidersFile(NANGO_FILE);
    const supported = Object.keys(raw).filter((name) => AUTH_MODES.includes(rawAuthMode(raw, name) as never));
    const failures = supported.flatMap((name) => {
      const entry = entries.get(name);
      const reason = entry ? exerciseEntry(entry, (key) => rawEnum(raw, name, key)) : `rejected at load: ${rejected.find((item) => item.name === name)?.reason ?? 'missing'}`;
      return reason === undefined ? [] : [{ name, reason }];
    });
    const ratio = (supported.length - failures.length) / supported.length;
    console.log(`      Nango entries with a supported auth mode: ${supported.length}; usable: ${supported.length - failures.length} (ratio ${ratio.toFixed(4)})`);
    console.log(`      the rest, by reason:\n${groupReasons(failures)}`);
    const unverified = dropped.filter(({ keys }) => keys.some((key) => key.startsWith('proxy.verification ('))).map(({ name }) => name);
    console.log(`      loaded without their verification (credentials in proxy.query/body): ${unverified.length} (${unverified.join(', ')})`);

    expect(ratio).to.be.at.least(0.95);
  });
});

describe('parseNangoProviders', () => {
  const text = [
    'base:',
    '  display_name: Base',
    '  categories: [other]',
    '  docs: https://example.com/docs',
    '  auth_mode: OAUTH2',
    '  authorization_url: https://${connectionConfig.region}.example.com/authorize',
    '  token_url: https://${connectionConfig.region}.example.com/token',
    '  setup_guide_url: https://example.com/guide',
    '  connection_config:',
    '    region:',
    '      type: string',
    '      title: Region',
    '      description: Data centre',
    '      enum: [eu, us]',
    '      doc_section: "#region"',
    'child:',
    '  alias: base',
    '  display_name: Child',
    'query-key:',
    '  display_name: Query key',
    '  docs: https://example.com/docs',
    '  auth_mode: API_KEY',
    '  proxy:',
    '    base_url: https://api.example.com',
    '    body:',
    '      api_key: ${apiKey}',
    '    verification:',
    '      method: GET',
    '      endpoints: [/me]',
    'orphan:',
    '  alias: nowhere',
    'two-step:',
    '  display_name: Two step',
    '  docs: https://example.com/docs',
    '  auth_mode: TWO_STEP',
  ].join('\n');
  const result = parseNangoProviders(text, 'inline.yaml');

  it('resolves alias inheritance, the alias overriding its own keys', () => {
    expect(result.entries.get('child')?.display_name).to.equal('Child');
    expect(result.entries.get('child')?.token_url).to.equal('https://${connectionConfig.region}.example.com/token');
  });

  it("keeps a field's enum as a pattern so the restriction still applies", () => {
    expect(result.entries.get('base')?.connection_config?.['region']?.pattern).to.equal('^(?:eu|us)$');
    const entry = result.entries.get('base')!;
    const build = (region: string) =>
      authorizationCodeUrl({ entry, clientId: 'c', redirectUri: 'https://x.example/cb', scopes: [], state: 's', codeChallenge: 'c', connectionConfig: { region } });
    expect(build('eu').startsWith('https://eu.example.com/authorize?')).to.equal(true);
    expect(() => build('evil')).to.throw(/must match/);
  });

  it('drops unsupported keys and reports them per entry', () => {
    expect(result.dropped.find(({ name }) => name === 'base')?.keys).to.have.members([
      'connection_config.region.enum (kept as pattern)',
      'setup_guide_url',
      'connection_config.region.doc_section',
    ]);
  });

  it('drops a verification whose request would need an unsupported key carrying the credentials', () => {
    expect(result.entries.get('query-key')?.proxy?.verification).to.equal(undefined);
    expect(result.dropped.find(({ name }) => name === 'query-key')?.keys).to.deep.equal(['proxy.body', 'proxy.verification (its request needs proxy.body)']);
  });

  it('rejects unknown aliases and unsupported auth modes with a reason', () => {
    expect(result.rejected).to.deep.equal([
      { file: 'inline.yaml', name: 'orphan', reason: 'alias: unknown provider nowhere' },
      { file: 'inline.yaml', name: 'two-step', reason: 'auth_mode: unsupported (TWO_STEP)' },
    ]);
  });

  it('freezes the entries', () => {
    expect(Object.isFrozen(result.entries.get('base')?.connection_config?.['region'])).to.equal(true);
  });
});
