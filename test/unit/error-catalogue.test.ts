import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOGUE, isErrorCode, statusOf, type ErrorCode } from '../../src/error-catalogue';
import { CustodianError, NotFoundError, ValidationError } from '../../src/errors';

const ROOT = path.join(__dirname, '..', '..');
interface Entry {
  status: number;
  kind: string;
  retryAfterSeconds?: number;
  variants?: Record<string, { status: number }>;
}
const entries = Object.entries(ERROR_CATALOGUE) as [ErrorCode, Entry][];
const variantsOf = (entry: Entry) => Object.values(entry.variants ?? {});

/** The `| \`code\` | status | … |` rows of the README table that follows `heading` inside "## Error codes". */
function readmeRows(heading: string): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1));
  const table = section.slice(section.indexOf(heading)).split('\n\n')[0]!;
  return table.split('\n').flatMap((line) => {
    const match = /^\| `([a-z0-9_]+)` \| (\d{3}) \|/.exec(line);
    return match ? [`${match[1]} ${match[2]}`] : [];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' || name === 'catalog' ? [] : sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

describe('error catalogue', () => {
  it('the README tables list exactly the catalogue: every HTTP code and variant with its status, every reason, every internal code', () => {
    const http = entries.filter(([code, e]) => e.kind !== 'reason' && (e.kind !== 'internal' || code === 'server_error'));
    const expectedHttp = http.flatMap(([code, e]) => [`${code} ${e.status}`, ...variantsOf(e).map((v) => `${code} ${v.status}`)]);
    expect(readmeRows('| code | status | meaning |')).to.deep.equal(expectedHttp);
    const expectedReasons = entries.filter(([, e]) => e.kind === 'reason').map(([code, e]) => `${code} ${e.status}`);
    expect(readmeRows('| reason | status | meaning |')).to.deep.equal(expectedReasons);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const internalLine = readme.slice(readme.indexOf('**Internal** codes'), readme.indexOf('\n\n', readme.indexOf('**Internal** codes')));
    const listed = [...internalLine.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]).filter((c) => c !== 'server_error' && c !== 'keys:rotate');
    expect(listed).to.deep.equal(entries.filter(([code, e]) => e.kind === 'internal' && code !== 'server_error').map(([code]) => code));
  });

  it('keeps every code API.md names with the status API.md gives it', () => {
    const contract: [ErrorCode, number, string?][] = [
      ['missing_auth_header', 401], ['malformed_auth_header', 401], ['invalid_secret_key_format', 401], ['unknown_account', 401],
      ['unknown_connect_session_token', 401], ['invalid_connect_session_token_format', 401],
      ['invalid_body', 400], ['invalid_query_params', 400], ['invalid_uri_params', 400], ['invalid_json', 400], ['invalid_content_type', 415],
      ['payload_too_large', 413], ['database_unavailable', 503], ['temporal_unavailable', 503], ['provider_unreachable', 502], ['provider_timeout', 504],
      ['server_error', 500], ['unknown_provider_config', 400], ['unknown_provider_config', 404, 'not_found'], ['not_found', 404],
      ['invalid_credentials', 400], ['invalid_credentials', 424, 'backing_off'], ['connection_test_failed', 400],
      ['unknown_connection', 400], ['unknown_connection', 404, 'not_found'], ['integration_not_allowed', 400], ['invalid_auth_mode', 400],
      ['missing_connection_config', 400], ['invalid_headers', 400],
    ];
    expect(contract.map(([code, , variant]) => `${code}${variant ? `/${variant}` : ''} ${statusOf(code, variant)}`)).to.deep.equal(
      contract.map(([code, status, variant]) => `${code}${variant ? `/${variant}` : ''} ${status}`),
    );
  });

  it('gives dependency codes a 502/503/504 and every 503 a Retry-After; every other code a 4xx, a 500 or (reasons) a 502', () => {
    const problems = entries.flatMap(([code, e]) => {
      const retry = e.retryAfterSeconds;
      if (e.kind === 'dependency' && ![502, 503, 504].includes(e.status)) return [`${code}: dependency with ${e.status}`];
      if (e.status === 503 && retry === undefined) return [`${code}: 503 without Retry-After`];
      if (e.kind === 'request' && (e.status < 400 || e.status >= 500)) return [`${code}: request with ${e.status}`];
      if (e.kind === 'internal' && e.status !== 500) return [`${code}: internal with ${e.status}`];
      if (e.kind === 'reason' && e.status !== 400 && e.status !== 502) return [`${code}: reason with ${e.status}`];
      return /^[a-z][a-z0-9_]*$/.test(code) ? [] : [`${code}: not snake_case`];
    });
    expect(problems).to.deep.equal([]);
  });

  it('takes statuses from the catalogue: by code, by variant, and 404 through a code\'s not_found variant', () => {
    expect(new ValidationError('invalid_string').status).to.equal(400);
    expect(new ValidationError('invalid_string').message).to.equal(ERROR_CATALOGUE.invalid_string.message);
    expect(new CustodianError('invalid_credentials', 'x', { variant: 'backing_off' }).status).to.equal(424);
    expect(new NotFoundError('gone', 'unknown_connection').status).to.equal(404);
    expect(new NotFoundError('gone').code).to.equal('not_found');
    expect(new CustodianError('database_unavailable').expose).to.equal(false);
    expect(isErrorCode('provider_not_in_catalog')).to.equal(true);
    expect(isErrorCode('toString')).to.equal(false);
  });

  it('every string literal code passed to an error constructor or a Temporal failure in src/, providers/, activities/ and workflows/ is in the catalogue', () => {
    const files = ['src', 'providers', 'activities', 'workflows'].flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    const sources = files.map((file) => ({ file: path.relative(ROOT, file), text: readFileSync(file, 'utf8') }));
    // Our error classes: CustodianError and everything that extends it, found in the sources themselves.
    const classes = new Set(['CustodianError']);
    for (let grown = true; grown; ) {
      grown = false;
      for (const { text } of sources) {
        for (const match of text.matchAll(/class (\w+) extends (\w+)/g)) {
          if (classes.has(match[2]!) && !classes.has(match[1]!)) {
            classes.add(match[1]!);
            grown = true;
          }
        }
      }
    }
    // Those whose constructor takes the code first (InvalidCredentialsError, KeyRotationError fix theirs).
    const codeFirst = new Set([...classes].filter((name) => {
      const text = sources.find((s) => s.text.includes(`class ${name} extends`))?.text ?? '';
      const body = text.slice(text.indexOf(`class ${name} extends`));
      const constructor = /constructor\(\s*(\w+)/.exec(body.slice(0, body.indexOf('\n}')));
      return name !== 'NotFoundError' && (constructor === null || constructor[1] === 'code');
    }));
    const found: { file: string; code: string }[] = [];
    for (const { file, text } of sources) {
      for (const match of text.matchAll(/new (\w+)\(\s*'([^']*)'/g)) {
        if (codeFirst.has(match[1]!)) found.push({ file, code: match[2]! });
      }
      // NotFoundError(message, code): the code is the second argument.
      for (const match of text.matchAll(/new NotFoundError\((?:[^;]*?), '([^']*)'\)/g)) found.push({ file, code: match[1]! });
      // Temporal failure types thrown by activities, and the codes workflows fail with: they reach callers and webhooks.
      for (const match of text.matchAll(/ApplicationFailure\.nonRetryable\((?:[^;]*?), '([^']*)'\)/g)) found.push({ file, code: match[1]! });
      for (const match of text.matchAll(/ApplicationFailure\.create\(\{[^}]*type: '([^']*)'/g)) found.push({ file, code: match[1]! });
      for (const match of text.matchAll(/\bfail\('([^']*)'/g)) found.push({ file, code: match[1]! });
      // Conditional literals: new X(cond ? 'a' : 'b', …)
      for (const match of text.matchAll(/new (\w+)\(\s*[^,'()]+\?\s*'([^']*)'\s*:\s*'([^']*)'/g)) {
        if (codeFirst.has(match[1]!)) found.push({ file, code: match[2]! }, { file, code: match[3]! });
      }
    }
    expect([...codeFirst]).to.include.members(['CustodianError', 'ValidationError', 'AuthenticationError', 'ProviderCallError', 'AuthorizationError', 'DecryptionError']);
    expect(found.length, 'throw sites found (the scan still matches the code)').to.be.greaterThan(60);
    expect(found.filter(({ code }) => !isErrorCode(code)).map(({ file, code }) => `${file}: ${code}`)).to.deep.equal([]);
  });
});
