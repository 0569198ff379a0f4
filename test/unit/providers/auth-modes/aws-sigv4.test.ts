import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { CallContext, IntegrationClient } from '../../../../providers/auth-modes';
import { awsSigV4 } from '../../../../providers/auth-modes/aws-sigv4';
import { fromAssumeRoleXml } from '../../../../providers/auth-modes/aws-sts';
import { ProviderCallError } from '../../../../providers/calls/provider-call-error';
import { nangoEntrySchema, type ProviderEntry } from '../../../../providers/catalog-schema';
import { loadCatalog } from '../../../../providers/load-catalog';
import { startFakeProvider, type FakeProvider } from '../../../support/fake-provider';
import { mountFakeAws, type FakeAws } from '../../../support/fake-modes/aws-sigv4';

const ROLE = 'arn:aws:iam::123456789012:role/CustodianAccess';
const EXTERNAL_ID = '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f';
const HOUR_S = 3600;

function call(now = new Date()): CallContext {
  return { now, timeoutMs: 5_000 };
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('AWS_SIGV4 strategy against the fake provider', () => {
  let provider: FakeProvider;
  let fake: FakeAws;
  let entry: ProviderEntry;
  let client: IntegrationClient;
  const stsApiKey = `sts-${randomBytes(8).toString('hex')}`;

  before(async () => {
    provider = await startFakeProvider();
    fake = mountFakeAws(provider, { stsApiKey, roles: { [ROLE]: EXTERNAL_ID }, service: 'execute-api', lifetimeSeconds: HOUR_S });
    const real = loadCatalog().get('aws-sigv4');
    entry = nangoEntrySchema.parse({ ...structuredClone(real), proxy: { base_url: provider.url } }) as ProviderEntry;
    client = { clientId: null, clientSecret: null, scopes: [], custom: { service: 'execute-api', defaultRegion: 'eu-west-1', stsMode: 'custom', stsEndpointUrl: `${provider.url}/aws/sts`, stsAuthType: 'api_key', stsApiKey } };
  });
  beforeEach(() => {
    fake.assumed.length = 0;
    fake.verdicts.length = 0;
  });
  after(async () => {
    await provider.close();
  });

  function form(received: Record<string, unknown>, connectionConfig: Record<string, unknown> = { external_id: EXTERNAL_ID }) {
    return { entry, client, received, attemptSecrets: {}, redirectUri: 'https://custodian.example.com/oauth/callback', connectionConfig };
  }

  it('assumes the role through the integration\'s STS and keeps the temporary credentials, region, service and external id', async () => {
    const now = new Date();
    const obtained = await awsSigV4.complete(form({ type: 'AWS_SIGV4', role_arn: ROLE }), call(now));

    expect(fake.assumed).to.deep.equal([{ roleArn: ROLE, externalId: EXTERNAL_ID, region: 'eu-west-1', accepted: true }]);
    const [accessKeyId, issued] = [...fake.issued].at(-1) ?? [];
    expect(obtained.credentials).to.deep.include({ type: 'AWS_SIGV4', role_arn: ROLE, region: 'eu-west-1', service: 'execute-api', access_key_id: accessKeyId, secret_access_key: issued?.secret, session_token: issued?.sessionToken, external_id: EXTERNAL_ID });
    expect(obtained.connectionConfig).to.deep.equal({ region: 'eu-west-1', service: 'execute-api', external_id: EXTERNAL_ID });
    expect(obtained.expiresAt?.getTime()).to.equal(Math.floor((now.getTime() + HOUR_S * 1000) / 1000) * 1000);
    expect(awsSigV4.upkeep(entry, obtained.credentials)).to.deep.equal({ kind: 'mint', beforeExpiry: true });
  });

  it('a role that does not trust the external id is a permanent credentials_rejected', async () => {
    const error = await rejection(awsSigV4.complete(form({ role_arn: ROLE }, { external_id: 'another-external-id' }), call()));
    expect(error).to.be.instanceOf(ProviderCallError);
    expect(error).to.include({ code: 'credentials_rejected', kind: 'permanent' });
    expect(fake.assumed.map((a) => a.accepted)).to.deep.equal([false]);
  });

  it('signs requests the AWS API accepts (query and body included); a changed body no longer matches', async () => {
    const obtained = await awsSigV4.complete(form({ role_arn: ROLE }), call());
    const body = new TextEncoder().encode(JSON.stringify({ hello: 'world' }));
    const request = awsSigV4.authorize(
      { method: 'POST', url: new URL(`${provider.url}/aws/api/echo?b=2&a=1`), headers: { 'content-type': 'application/json', 'x-amz-target': 'Service.Op' }, body },
      { entry, credentials: obtained.credentials, connectionConfig: obtained.connectionConfig, client, now: new Date() },
    );
    expect(request.headers['authorization']).to.match(/SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,/);

    const sent = await fetch(request.url, { method: 'POST', headers: request.headers, body });
    const tampered = await fetch(request.url, { method: 'POST', headers: request.headers, body: JSON.stringify({ hello: 'mars' }) });
    expect([sent.status, tampered.status]).to.deep.equal([200, 403]);
    expect(fake.verdicts).to.deep.equal(['valid', 'bad_signature']);
  });

  it('renew assumes the role again with the stored external id and region', async () => {
    const obtained = await awsSigV4.complete(form({ role_arn: ROLE, region: 'us-west-2' }), call());
    const renewed = await awsSigV4.renew({ entry, credentials: obtained.credentials, connectionConfig: obtained.connectionConfig, client }, call());
    if (renewed.kind !== 'renewed') throw new Error('expected renewed credentials');
    expect(fake.assumed.map((a) => [a.externalId, a.region])).to.deep.equal([[EXTERNAL_ID, 'us-west-2'], [EXTERNAL_ID, 'us-west-2']]);
    expect(renewed.credentials.access_key_id).to.not.equal(obtained.credentials.access_key_id);
  });

  it('an integration without a service or STS settings fails with invalid_aws_sigv4_config before any call', async () => {
    const calls = provider.calls.length;
    const bare = { ...client, custom: { stsMode: 'custom', stsEndpointUrl: `${provider.url}/aws/sts` } };
    const error = await rejection(awsSigV4.complete({ ...form({ role_arn: ROLE }), client: bare }, call()));
    expect(error).to.include({ code: 'invalid_aws_sigv4_config', status: 400 });
    expect(provider.calls.length).to.equal(calls);
  });

  it("reads AWS STS AssumeRole's XML answer", () => {
    const xml = '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret/key+1</SecretAccessKey><SessionToken>token==</SessionToken><Expiration>2026-12-01T13:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>';
    expect(fromAssumeRoleXml(xml)).to.deep.equal({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key+1', sessionToken: 'token==', expiresAt: new Date('2026-12-01T13:00:00Z'), raw: { Expiration: '2026-12-01T13:00:00Z', AccessKeyId: 'ASIAEXAMPLE' } });
    expect(fromAssumeRoleXml('<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>')).to.equal(undefined);
  });

  it('imports Nango\'s AWS_SIGV4 shape; secretsOf names the secret key and the session token', () => {
    const body = { type: 'AWS_SIGV4', role_arn: ROLE, region: 'eu-west-1', service: 's3', access_key_id: 'ASIAX', secret_access_key: 'sk-1234567890', session_token: 'st-1234567890', expires_at: '2026-12-01T13:00:00.000Z' };
    const imported = awsSigV4.fromImport(awsSigV4.importSchema.parse(body), new Date());
    expect(imported).to.deep.equal({ ...body, raw: {} });
    expect(awsSigV4.secretsOf(imported)).to.deep.equal(['sk-1234567890', 'st-1234567890']);
  });
});
