import { expect } from 'chai';
import { AUTH_MODES, type AuthMode } from '../../../providers/catalog-schema';
import { interpolateUrl } from '../../../providers/interpolate';
import { loadCatalog } from '../../../providers/load-catalog';
import { looksLikePem } from '../../../providers/pem-field';
import { tempDir } from './fixtures';
import { exerciseEntry } from './first-step';

describe('loadCatalog (providers/catalog)', () => {
  const catalog = loadCatalog();

  it('loads at least 150 providers and covers every auth mode', () => {
    const perMode = Object.fromEntries(AUTH_MODES.map((mode) => [mode, 0])) as Record<AuthMode, number>;
    for (const { entry } of catalog.list()) perMode[entry.auth_mode] += 1;
    console.log(`      catalog: ${catalog.size} providers, per auth mode: ${JSON.stringify(perMode)}`);

    expect(catalog.size).to.be.at.least(150);
    for (const mode of AUTH_MODES) expect(perMode[mode], mode).to.be.at.least(1);
  });

  it('contains the providers the product promises', () => {
    const promised = [
      'github', 'gitlab', 'bitbucket', 'google', 'google-calendar', 'google-mail', 'microsoft', 'slack', 'salesforce',
      'hubspot', 'zendesk', 'shopify', 'notion', 'jira', 'confluence', 'linear', 'asana', 'dropbox', 'box', 'xero',
      'quickbooks', 'intercom', 'discord', 'zoom', 'stripe', 'openai', 'anthropic', 'sendgrid', 'twilio', 'trello', 'twitter',
      'sharepoint-online', 'microsoft-excel', 'google-docs', 'youtube', 'zoho-crm', 'confluence-basic', 'servicenow', 'auth0',
      'squareup', 'bamboohr', 'lever', 'google-gemini', 'xai',
    ];
    expect(promised.filter((name) => !catalog.has(name))).to.deep.equal([]);
    expect(catalog.get('trello')?.auth_mode).to.equal('OAUTH1');
    expect(catalog.get('twitter')?.auth_mode).to.equal('OAUTH1');
    expect(catalog.get('twilio')?.auth_mode).to.equal('BASIC');
    for (const name of ['openai', 'anthropic', 'sendgrid', 'twilio']) expect(catalog.get(name)?.proxy?.verification, name).to.not.equal(undefined);
  });

  it('gives every entry a display name, categories and docs', () => {
    for (const { name, entry } of catalog.list()) {
      expect(entry.display_name, name).to.be.a('string').and.not.equal('');
      expect(entry.categories, name).to.be.an('array').with.length.greaterThan(0);
      expect(entry.docs, name).to.match(/^https?:\/\//);
    }
  });

  it('takes every entry\'s first step from sample values: an authorization URL, a token or verification request, or a credential form', async () => {
    const failures: string[] = [];
    for (const { name, entry } of catalog.list()) {
      const exercise = await exerciseEntry(entry);
      if ('reason' in exercise) failures.push(`${name}: ${exercise.reason}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('marks every field that takes a PEM block (a private key, a certificate) multiline, so the Connect UI shows a text area', () => {
    const unmarked: string[] = [];
    for (const { name, entry } of catalog.list()) {
      for (const [group, fields] of Object.entries(entry as unknown as Record<string, unknown>)) {
        if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) continue;
        for (const [key, field] of Object.entries(fields as Record<string, unknown>)) {
          if (field === null || typeof field !== 'object' || typeof (field as { title?: unknown }).title !== 'string') continue;
          const schema = field as Record<string, unknown>;
          if (looksLikePem(schema) && schema['multiline'] !== true) unmarked.push(`${name}: ${group}.${key}`);
        }
      }
    }
    expect(unmarked, 'add `multiline: true`').to.deep.equal([]);
  });

  it('gives the Google variants their own default scopes', () => {
    expect(catalog.get('google-calendar')?.default_scopes).to.deep.equal(['https://www.googleapis.com/auth/calendar.readonly']);
    expect(catalog.get('google-mail')?.default_scopes).to.deep.equal(['https://www.googleapis.com/auth/gmail.readonly']);
  });

  it('posts the client secret only to the provider\'s own hosts when connection config picks the token host (Zoho, Auth0, ServiceNow)', () => {
    const tokenUrl = (name: string, connectionConfig: Record<string, string>) => {
      const entry = catalog.get(name)!;
      return interpolateUrl(entry.token_url!, { entry, connectionConfig });
    };
    expect(tokenUrl('zoho-crm', { extension: 'eu' })).to.equal('https://accounts.zoho.eu/oauth/v2/token');
    // Without an extension the callback's accounts-server decides, and only a Zoho accounts server passes.
    expect(tokenUrl('zoho-crm', { 'accounts-server': 'https://accounts.zoho.com.au' })).to.equal('https://accounts.zoho.com.au/oauth/v2/token');
    expect(() => tokenUrl('zoho-crm', { 'accounts-server': 'https://attacker.example' })).to.throw(/must match/);
    expect(() => tokenUrl('zoho-books', { extension: 'example.com' })).to.throw(/must match/);
    expect(tokenUrl('auth0', { subdomain: 'acme.eu' })).to.equal('https://acme.eu.auth0.com/oauth/token');
    expect(() => tokenUrl('auth0', { subdomain: 'attacker.example/x' })).to.throw(/must match/);
    expect(() => tokenUrl('servicenow', { subdomain: 'attacker.example' })).to.throw(/must match/);
  });

  it('takes the Salesforce instance URL from the token response', () => {
    expect(catalog.get('salesforce')?.token_response_metadata).to.deep.equal(['instance_url']);
    expect(catalog.get('salesforce')?.proxy?.base_url).to.equal('${connectionConfig.instance_url}');
  });

  it('lists providers sorted by name and freezes them deeply', () => {
    const names = catalog.list().map(({ name }) => name);
    expect(names).to.deep.equal([...names].sort());
    const zendesk = catalog.get('zendesk');
    expect(Object.isFrozen(catalog.list())).to.equal(true);
    expect(Object.isFrozen(zendesk)).to.equal(true);
    expect(Object.isFrozen(zendesk?.connection_config?.['subdomain'])).to.equal(true);
  });

  it('answers undefined / false for an unknown provider', () => {
    expect(catalog.get('no-such-provider')).to.equal(undefined);
    expect(catalog.has('no-such-provider')).to.equal(false);
    expect(catalog.has('constructor')).to.equal(false);
  });

  it('searches name, display name and categories case-insensitively', () => {
    expect(catalog.search('SALESFORCE').map(({ name }) => name)).to.include.members(['salesforce', 'salesforce-sandbox']);
    expect(catalog.search('gmail').map(({ name }) => name)).to.deep.equal(['google-mail']);
    const accounting = catalog.search('Accounting').map(({ name }) => name);
    expect(accounting).to.include.members(['xero', 'quickbooks']);
    expect(catalog.search('')).to.have.length(catalog.size);
  });
});

describe('loadCatalog with an extra Nango-format file (PROVIDERS_FILE)', () => {
  const own = {
    'github.yaml': [
      'display_name: GitHub',
      'categories: [dev-tools]',
      'docs: https://docs.github.com/',
      'auth_mode: OAUTH2',
      'authorization_url: https://github.com/login/oauth/authorize',
      'token_url: https://github.com/login/oauth/access_token',
    ].join('\n'),
  };
  const extra = [
    'github:',
    '  display_name: GitHub Enterprise (override)',
    '  categories: [dev-tools]',
    '  docs: https://docs.github.com/enterprise',
    '  auth_mode: OAUTH2',
    '  authorization_url: https://github.example.com/login/oauth/authorize',
    '  token_url: https://github.example.com/login/oauth/access_token',
    '  setup_guide_url: https://example.com/guide',
    'fake-api:',
    '  display_name: Fake API',
    '  categories: [other]',
    '  docs: http://127.0.0.1:4010/docs',
    '  auth_mode: API_KEY',
    '  proxy:',
    '    base_url: http://127.0.0.1:4010',
    '    headers:',
    '      authorization: Bearer ${apiKey}',
    '    verification:',
    '      method: GET',
    '      endpoints: [/me]',
    'fake-api-eu:',
    '  alias: fake-api',
    '  display_name: Fake API (EU)',
    'fake-future:',
    '  display_name: Fake future mode',
    '  docs: https://example.com',
    '  auth_mode: FUTURE_MODE',
  ].join('\n');

  it('adds new entries, overrides same-named ones, resolves aliases and reports skipped ones', () => {
    const catalogDir = tempDir(own);
    const extraDir = tempDir({ 'providers.yaml': extra });
    try {
      const catalog = loadCatalog({ dir: catalogDir.dir, extraFile: extraDir.file('providers.yaml') });

      expect(catalog.size).to.equal(3);
      expect(catalog.get('github')?.display_name).to.equal('GitHub Enterprise (override)');
      expect(catalog.get('github')?.authorization_url).to.equal('https://github.example.com/login/oauth/authorize');
      expect(catalog.get('fake-api')?.proxy?.base_url).to.equal('http://127.0.0.1:4010');
      expect(catalog.get('fake-api-eu')?.display_name).to.equal('Fake API (EU)');
      expect(catalog.get('fake-api-eu')?.proxy?.verification?.endpoints).to.deep.equal(['/me']);
      expect(catalog.skipped).to.deep.equal([{ file: extraDir.file('providers.yaml'), name: 'fake-future', reason: 'auth_mode: FUTURE_MODE is not supported (yet)' }]);
    } finally {
      catalogDir.remove();
      extraDir.remove();
    }
  });
});

describe('loadCatalog with a PROVIDERS_FILE a user wrote', () => {
  // Only what each auth mode needs: no docs, categories, logos or field descriptions; some without display_name.
  const minimal = [
    'my-oauth2:',
    '  display_name: My OAuth 2',
    '  auth_mode: OAUTH2',
    '  authorization_url: https://auth.my-company.example/authorize',
    '  token_url: https://auth.my-company.example/token',
    'my-cc:',
    '  auth_mode: OAUTH2_CC',
    '  token_url: https://auth.my-company.example/token',
    'my-oauth1:',
    '  auth_mode: OAUTH1',
    '  request_url: https://auth.my-company.example/oauth1/request_token',
    '  authorization_url: https://auth.my-company.example/oauth1/authorize',
    '  token_url: https://auth.my-company.example/oauth1/access_token',
    'my-apikey:',
    '  auth_mode: API_KEY',
    '  connection_config:',
    '    region:',
    '      optional: true',
    'my-basic:',
    '  auth_mode: BASIC',
    'my-none:',
    '  auth_mode: NONE',
    'my-broken:',
    '  display_name: Broken',
    '  auth_mode: OAUTH2',
    '  authorization_url: https://auth.my-company.example/authorize',
  ].join('\n');

  it('loads a minimal entry for every auth mode, usable as is, with display_name and field title defaulted', async () => {
    const files = tempDir({ 'providers.yaml': minimal });
    try {
      const catalog = loadCatalog({ extraFile: files.file('providers.yaml') });
      const mine = catalog.list().filter(({ name }) => name.startsWith('my-'));
      expect(mine.map(({ name, entry }) => [name, entry.auth_mode])).to.deep.equal([
        ['my-apikey', 'API_KEY'], ['my-basic', 'BASIC'], ['my-cc', 'OAUTH2_CC'], ['my-none', 'NONE'], ['my-oauth1', 'OAUTH1'], ['my-oauth2', 'OAUTH2'],
      ]);
      const exercised: string[] = [];
      for (const { name, entry } of mine) {
        const exercise = await exerciseEntry(entry);
        exercised.push(`${name}: ${'reason' in exercise ? exercise.reason : 'usable'}`);
      }
      expect(exercised).to.deep.equal(mine.map(({ name }) => `${name}: usable`));
      expect(catalog.get('my-oauth2')?.display_name).to.equal('My OAuth 2');
      expect(catalog.get('my-basic')?.display_name).to.equal('my-basic');
      expect(catalog.get('my-apikey')?.connection_config).to.deep.equal({ region: { type: 'string', title: 'region', optional: true } });
      expect(catalog.get('my-none')).to.not.have.any.keys('docs', 'categories');
    } finally {
      files.remove();
    }
  });

  it('leaves out an entry that misses what its auth mode needs, naming the file, entry and field', () => {
    const files = tempDir({ 'providers.yaml': minimal });
    try {
      const catalog = loadCatalog({ extraFile: files.file('providers.yaml') });
      expect(catalog.has('my-broken')).to.equal(false);
      expect(catalog.skipped).to.deep.equal([{ file: files.file('providers.yaml'), name: 'my-broken', reason: 'token_url: is required when auth_mode is OAUTH2' }]);
    } finally {
      files.remove();
    }
  });
});
