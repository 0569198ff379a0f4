import { expect } from 'chai';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { ConnectionConfigError, CustodianError, ValidationError } from '../../../../src/errors';
import { nangoEntrySchema, describeIssue, type ProviderEntry } from '../../../../providers/catalog-schema';
import { interpolateTokenHeader, interpolateTokenParam, interpolateTokenUrl, interpolateUrl } from '../../../../providers/interpolate';
import { privateKeyOf, signJwt } from '../../../../providers/auth-modes/jwt-assertion';
import { formatTime } from '../../../../providers/auth-modes/request-context';
import { readTokenResponse } from '../../../../providers/auth-modes/token-response-paths';
import { parseXml, toXml } from '../../../../providers/auth-modes/xml-body';
import { thrownBy } from '../fixtures';

const NOW = new Date('2030-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const entry = { connection_config: { host: { type: 'string' as const, title: 'Host', description: 'Host' } } };

function entryIssues(fields: Record<string, unknown>): string[] {
  const result = nangoEntrySchema.safeParse({ display_name: 'x', auth_mode: 'TWO_STEP', token_response: { token: 'access_token' }, ...fields });
  return result.success ? [] : result.error.issues.map((issue) => `${describeIssue(issue).field}: ${describeIssue(issue).message}`);
}

describe('TWO_STEP templates', () => {
  it('fill base64(…) and sha256Hex(…) over nested templates in headers', () => {
    const credentials = { id: 'client', secret: 's3cr:et' };
    expect(interpolateTokenHeader('Basic ${base64(${credentials.id}:${credentials.secret})}', { entry, credentials })).to.equal(`Basic ${Buffer.from('client:s3cr:et').toString('base64')}`);
    expect(interpolateTokenHeader('${sha256Hex(${credentials.id})}', { entry, credentials })).to.equal('948fe603f61dc036b5c596dc09fe3ce3f3d30dc90f024c85f3c82db2ccab679d');
  });

  it('read earlier steps and dotted paths', () => {
    const step = { step1: { data: { token_endpoint: 'https://idp.example.com/token' } } };
    expect(interpolateTokenUrl('${step1.data.token_endpoint}', { entry, step })).to.equal('https://idp.example.com/token');
    expect(interpolateTokenParam('${credentials.raw.accountID}', { entry, credentials: { raw: { accountID: 'acc-9' } } })).to.equal('acc-9');
  });

  it('put credentials in a token URL only in its query, encoded', () => {
    const credentials = { user: 'a b&c', password: 'p/w?' };
    expect(interpolateTokenUrl('https://api.example.com/auth?u=${credentials.user}&p=${credentials.password}', { entry, credentials })).to.equal('https://api.example.com/auth?u=a%20b%26c&p=p%2Fw%3F');
    const error = thrownBy(() => interpolateTokenUrl('https://api.example.com/${credentials.user}/auth', { entry, credentials }));
    expect(error).to.be.instanceOf(CustodianError);
    expect((error as CustodianError).code).to.equal('invalid_template');
  });

  it('refuse an earlier answer that is not an https base URL, naming the step', () => {
    const error = thrownBy(() => interpolateTokenUrl('${step1.next}/token', { entry, step: { step1: { next: 'http://10.0.0.1' } } }));
    expect(error).to.be.instanceOf(ConnectionConfigError);
    expect((error as ConnectionConfigError).errors?.[0]?.path).to.deep.equal(['step', 'step1.next']);
  });

  it('never compute a URL, nor take credentials or step answers into ordinary URLs', () => {
    expect((thrownBy(() => interpolateUrl('https://${base64(${connectionConfig.host})}.example.com', { entry, connectionConfig: { host: 'a' } })) as CustodianError).code).to.equal('invalid_template');
    expect((thrownBy(() => interpolateUrl('${step1.next}/token', { entry })) as CustodianError).code).to.equal('invalid_template');
  });

  it('are checked at load: a credential in a token URL path, a step answer inside a host, an unknown function', () => {
    expect(entryIssues({ token_url: 'https://api.example.com/${credentials.user}' })).to.deep.equal(['token_url: ${credentials.user} may not stand in the path of a URL']);
    expect(entryIssues({ token_url: 'https://api.example.com/auth?key=${credentials.key}' })).to.deep.equal([]);
    expect(entryIssues({ token_url: 'https://api.example.com/t', additional_steps: [{ token_url: 'https://${step1.host}.example.com/t' }] })).to.deep.equal([
      'additional_steps[0].token_url: ${step1.host} may not stand in the host of a URL',
    ]);
    expect(entryIssues({ token_url: 'https://api.example.com/t', token_headers: { 'x-sig': '${md5(${credentials.a})}' } })[0]).to.match(/^token_headers\.x-sig: unsupported nested template/);
  });

  it('keep OAuth token requests as they were: no credentials in their token URL, no nested parameters', () => {
    const oauth = (fields: Record<string, unknown>) => {
      const result = nangoEntrySchema.safeParse({ display_name: 'x', auth_mode: 'OAUTH2_CC', token_url: 'https://api.example.com/token', ...fields });
      return result.success ? [] : result.error.issues.map((issue) => describeIssue(issue).field);
    };
    expect(oauth({ token_url: 'https://api.example.com/token?key=${credentials.key}' })).to.deep.equal(['token_url']);
    expect(oauth({ token_params: { nested: { a: 'b' } } })).to.deep.equal(['token_params.nested']);
    expect(oauth({ token_params: { audience: 'api' } })).to.deep.equal([]);
  });

  it('format ${now:…} in UTC as dayjs does', () => {
    const date = new Date('2030-02-03T04:05:06.789Z');
    expect(formatTime(date, 'YYYY-MM-DDTHH:mm:ss')).to.equal('2030-02-03T04:05:06');
    expect(formatTime(date, 'X')).to.equal(String(Math.floor(date.getTime() / 1000)));
    expect(formatTime(date, 'YYYY-MM-DD HH:mm:ss.SSS')).to.equal('2030-02-03 04:05:06.789');
  });
});

describe('TWO_STEP token_response paths', () => {
  const read = (body: unknown, paths: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    readTokenResponse(body, nangoEntrySchema.parse({ display_name: 'x', auth_mode: 'TWO_STEP', token_url: 'https://a.example.com/t', token_response: paths, ...extra }) as ProviderEntry, NOW);

  it('reads a lifetime (seconds, or a duration text) and a date (ISO, Unix seconds or milliseconds)', () => {
    expect(read({ t: 'x', e: 60 }, { token: 't', token_expiration: 'e', token_expiration_strategy: 'expireIn' })?.expiresAt).to.deep.equal(new Date(NOW.getTime() + 60_000));
    expect(read({ t: 'x', e: '2h' }, { token: 't', token_expiration: 'e', token_expiration_strategy: 'expireIn' })?.expiresAt).to.deep.equal(new Date(NOW.getTime() + 2 * HOUR_MS));
    expect(read({ t: 'x', e: '2030-01-02T00:00:00Z' }, { token: 't', token_expiration: 'e' })?.expiresAt).to.deep.equal(new Date('2030-01-02T00:00:00Z'));
    expect(read({ t: 'x', e: 1_900_000_000 }, { token: 't', token_expiration: 'e', token_expiration_strategy: 'expireAt' })?.expiresAt).to.deep.equal(new Date(1_900_000_000_000));
    expect(read({ t: 'x', e: 1_900_000_000_000 }, { token: 't', token_expiration: 'e', token_expiration_strategy: 'expireAt' })?.expiresAt).to.deep.equal(new Date(1_900_000_000_000));
  });

  it("reads Tableau's days:hours:minutes as a time from now", () => {
    expect(read({ credentials: { token: 'x', estimatedTimeToExpiration: '1:02:03' } }, { token: 'credentials.token', token_expiration: 'credentials.estimatedTimeToExpiration', token_expiration_strategy: 'expireAt' })?.expiresAt).to.deep.equal(
      new Date(NOW.getTime() + ((24 + 2) * 60 + 3) * 60_000),
    );
  });

  it('falls back to token_expires_in_ms (0: does not expire), then to the token JWT exp', () => {
    expect(read({ t: 'x' }, { token: 't' }, { token_expires_in_ms: 900_000 })?.expiresAt).to.deep.equal(new Date(NOW.getTime() + 900_000));
    expect(read({ t: 'x' }, { token: 't' }, { token_expires_in_ms: 0 })?.expiresAt).to.equal(null);
    const jwt = `e30.${Buffer.from(JSON.stringify({ exp: 1_900_000_000 })).toString('base64url')}.sig`;
    expect(read({ t: jwt }, { token: 't' })?.expiresAt).to.deep.equal(new Date(1_900_000_000_000));
    expect(read({ t: 'opaque' }, { token: 't' })?.expiresAt).to.equal(null);
  });

  it('has no token when the path holds none', () => {
    expect(read({ data: {} }, { token: 'data.token' })).to.equal(undefined);
    expect(read('bare-token-text', { token: '' })?.token).to.equal('bare-token-text');
  });
});

describe('TWO_STEP XML bodies', () => {
  it('writes nested parameters as elements and $-keys as attributes, escaped', () => {
    expect(toXml({ request: { function: { $controlid: 'a"1', login: 'x<y&z' } } })).to.equal('<?xml version="1.0" encoding="UTF-8"?>\n<request><function controlid="a&quot;1"><login>x&lt;y&amp;z</login></function></request>');
  });

  it('reads an answer into nested objects (repeated elements as arrays, CDATA and entities as text)', () => {
    expect(parseXml('<?xml version="1.0"?><r><a>1</a><a>2</a><b x="1"><![CDATA[<raw>]]></b><c>&amp;&lt;</c><d/></r>')).to.deep.equal({ r: { a: ['1', '2'], b: '<raw>', c: '&<', d: '' } });
    expect(parseXml('<r><a></r>')).to.equal(undefined);
  });
});

describe('TWO_STEP JWT signing', () => {
  const templates = (alg: string) => ({ key: '${credentials.key}', header: { alg }, payload: { iss: 'me', jti: '${random}' }, lifetimeSeconds: 300 });

  for (const [alg, keyType, check] of [
    ['RS256', 'rsa', (data: Buffer, key: ReturnType<typeof createPublicKey>, signature: Buffer) => verify('sha256', data, key, signature)],
    ['PS256', 'rsa', (data: Buffer, key: ReturnType<typeof createPublicKey>, signature: Buffer) => verify('sha256', data, { key, padding: 6, saltLength: 32 }, signature)],
    ['ES256', 'ec', (data: Buffer, key: ReturnType<typeof createPublicKey>, signature: Buffer) => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)],
  ] as const) {
    it(`signs ${alg} JWTs that verify with the public key, with iat, exp and a fresh jti`, () => {
      const pair = keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const jwt = signJwt(templates(alg), { entry, credentials: { key: pem } }, NOW);
      const [header, payload, signature] = jwt.split('.') as [string, string, string];
      expect(check(Buffer.from(`${header}.${payload}`), pair.publicKey, Buffer.from(signature, 'base64url'))).to.equal(true);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).to.deep.equal({ typ: 'JWT', alg });
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      expect(claims).to.include({ iss: 'me', iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 300 });
      expect(claims.jti).to.match(/^[0-9a-f-]{36}$/);
    });
  }

  it('reads keys pasted with escaped line breaks, as a bare body, or PKCS#1; refuses what is not a key', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const body = pkcs8.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    for (const text of [pkcs8.replace(/\n/g, '\\n'), body, pkcs1]) expect(privateKeyOf(text).asymmetricKeyType).to.equal('rsa');
    const error = thrownBy(() => privateKeyOf('not a key'));
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).code).to.equal('invalid_body');
  });
});
