/**
 * Upkeep of credentials made here, by the connection workflow under time skipping: a JWT and a WSSE
 * token are made again before each expiry without any provider call; a Bill session is opened again
 * by a login before it ends. The spacing of renewals shows the entries' margins fit the lifetimes.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { jwt } from '../../providers/auth-modes/jwt';
import { signature } from '../../providers/auth-modes/signature';
import { stateQuery } from '../../workflows/connection-messages';
import { mountFakeAws } from '../support/fake-modes/aws-sigv4';
import { mountFakeBill, type FakeBillAccount } from '../support/fake-modes/bill';
import { mountFakeJwt } from '../support/fake-modes/jwt';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { registerSecrets } from '../support/secret-registry';
import { connectionRow, refreshActivities, useLifecycleSuite } from './lifecycle-suite';

const FIVE_MINUTES_MS = 5 * 60_000;

function claimsOf(token: unknown): { iat: number; exp: number } {
  return JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat: number; exp: number };
}

describe('upkeep of credentials made here (time skipping)', function () {
  this.timeout(180_000);

  describe('JWT (a Ghost-like entry as Nango writes it: 5-minute tokens, no token_expiration_buffer)', () => {
    const id = randomBytes(12).toString('hex');
    const secret = randomBytes(32).toString('hex');
    registerSecrets(() => [secret]);
    const s = useLifecycleSuite({
      entry: (url) => ({
        display_name: 'Fake Ghost',
        auth_mode: 'JWT',
        authorization_url: undefined,
        token_url: undefined,
        signature: { protocol: 'HMAC' },
        token: { signing_key: '${credentials.privateKey.secret}', expires_in_ms: FIVE_MINUTES_MS, header: { alg: 'HS256', kid: '${credentials.privateKey.id}' }, payload: { aud: '/admin/' } },
        proxy: { base_url: url, headers: { authorization: 'Ghost ${accessToken}' }, verification: { method: 'GET', endpoints: ['/jwt/verify'] } },
      }),
    });

    it('re-signs before every expiry with no provider call; the last token signed verifies at the provider', async () => {
      const { rig, env } = s;
      const start = new Date();
      const credentials = jwt.fromImport({ type: 'JWT', privateKey: { id, secret } }, start);
      const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId: 'ghost', credentials, expiresAt: jwt.expiresAt(credentials) });
      const { workflowId } = await rig.startWorkflow(row);
      await env.sleep('1 hour');

      const handle = env.client.workflow.getHandle(workflowId);
      const state = await handle.query(stateQuery);
      expect(state.status).to.equal('active');
      expect(rig.provider.calls, 'no provider call at all').to.deep.equal([]);
      const renewals = refreshActivities((await handle.fetchHistory()).events ?? []);
      expect(renewals.length).to.be.within(14, 17);
      expect(renewals.every((r) => !r.failed && r.outcome?.result === 'refreshed')).to.equal(true);
      const gaps = renewals.slice(1).map((r, i) => r.scheduledAt - renewals[i]!.scheduledAt);
      // The 15-minute default margin exceeds the lifetime: a fifth of it (60 s) is used instead.
      expect(Math.min(...gaps), 'renewed about 4 minutes apart, never back to back').to.be.greaterThan(3.5 * 60_000);

      const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
      if (stored.type !== 'JWT') throw new Error('expected JWT credentials');
      // The teardown's history audit looks for the token the workflow signed last.
      registerSecrets(() => jwt.secretsOf(stored));
      const claims = claimsOf(stored.token);
      expect(claims.exp - claims.iat).to.equal(300);
      expect(Math.floor(Date.parse(stored.expires_at!) / 1000)).to.equal(claims.exp);
      expect(Date.parse(state.expiresAt!)).to.equal(Date.parse(stored.expires_at!));
      // The provider, on the workflow's clock, accepts the token the workflow signed last.
      const checks = mountFakeJwt(rig.provider, { scheme: 'Ghost', algorithm: 'HS256', key: Buffer.from(secret, 'hex'), kid: id, claims: { aud: '/admin/' }, maxLifetimeSeconds: 300, now: () => new Date(claims.iat * 1000) });
      const response = await fetch(`${rig.provider.url}/jwt/verify`, { headers: { authorization: `Ghost ${String(stored.token)}` } });
      expect(response.status).to.equal(200);
      expect(checks.checks.map((c) => c.verdict)).to.deep.equal(['valid']);
    });
  });

  describe('SIGNATURE (an Emarsys-like entry: 5-minute WSSE tokens)', () => {
    const secret = randomBytes(16).toString('hex');
    registerSecrets(() => [secret]);
    const s = useLifecycleSuite({
      entry: (url) => ({
        display_name: 'Fake Emarsys',
        auth_mode: 'SIGNATURE',
        authorization_url: undefined,
        token_url: undefined,
        signature: { protocol: 'WSSE' },
        token: { expires_in_ms: FIVE_MINUTES_MS },
        token_expiration_buffer: 60,
        proxy: { base_url: url, headers: { 'x-wsse': '${accessToken}' } },
      }),
    });

    it('makes a new UsernameToken before each expiry, created at the workflow\'s time, without calling the provider', async () => {
      const { rig, env } = s;
      const credentials = signature.fromImport({ type: 'SIGNATURE', username: 'acme001', password: secret }, new Date());
      const { row } = await rig.connections.importConnection({ environmentId: rig.environment.id, integrationId: rig.integration.id, connectionId: 'wsse', credentials, expiresAt: signature.expiresAt(credentials) });
      const { workflowId } = await rig.startWorkflow(row);
      await env.sleep('30 minutes');

      const handle = env.client.workflow.getHandle(workflowId);
      const renewals = refreshActivities((await handle.fetchHistory()).events ?? []);
      expect(renewals.length).to.be.within(7, 9);
      expect(rig.provider.calls).to.deep.equal([]);
      const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
      if (stored.type !== 'SIGNATURE') throw new Error('expected SIGNATURE credentials');
      registerSecrets(() => signature.secretsOf(stored));
      const state = await handle.query(stateQuery);
      expect(stored.token).to.include(`Created="${state.lastRefreshAt}"`);
      expect(Date.parse(stored.expires_at!)).to.equal(Date.parse(state.lastRefreshAt!) + FIVE_MINUTES_MS);
    });
  });

  describe('BILL (sessions of 35 minutes, renewed 15 minutes before their end)', () => {
    const account: FakeBillAccount = { username: 'ap@acme.example', password: `pw-${randomBytes(8).toString('hex')}`, organizationId: '00801ACME', devKey: `dk-${randomBytes(8).toString('hex')}`, userId: '00601ALICE' };
    const s = useLifecycleSuite({
      entry: (url) => ({ display_name: 'Fake Bill', auth_mode: 'BILL', authorization_url: undefined, token_url: `${url}/bill/login`, proxy: { base_url: url } }),
    });

    it('signs in again before each session ends; a refused login turns the connection invalid', async () => {
      const { rig, env } = s;
      const fake = mountFakeBill(rig.provider, [account]);
      const { row } = await rig.connections.importConnection({
        environmentId: rig.environment.id,
        integrationId: rig.integration.id,
        connectionId: 'bill',
        credentials: { type: 'BILL', username: account.username, password: account.password, organization_id: account.organizationId, dev_key: account.devKey, expires_at: new Date().toISOString(), raw: {} },
        expiresAt: new Date(),
      });
      const { workflowId } = await rig.startWorkflow(row);
      await env.sleep('2 hours');
      // One login at once (due), then one every 20 minutes: 35-minute sessions renewed 15 minutes early.
      expect(fake.logins.length).to.be.within(6, 8);
      expect(fake.logins.every((l) => l.accepted)).to.equal(true);
      const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
      expect(stored.type === 'BILL' && stored.session_id).to.equal(fake.logins.at(-1)?.sessionId);

      // The password changed at Bill: the next login is refused for good.
      const handle = env.client.workflow.getHandle(workflowId);
      (account as { password: string }).password = 'changed-at-bill';
      await env.sleep('30 minutes');
      const state = await handle.query(stateQuery);
      expect(state).to.include({ status: 'invalid', lastErrorCode: 'credentials_rejected' });
      const logins = fake.logins.length;
      await env.sleep('2 hours');
      expect(fake.logins.length, 'no logins once invalid').to.equal(logins);
    });
  });

  describe('AWS_SIGV4 (temporary credentials of an hour, the role assumed again before they expire)', () => {
    const ROLE = 'arn:aws:iam::123456789012:role/CustodianAccess';
    const stsApiKey = `sts-${randomBytes(8).toString('hex')}`;
    registerSecrets(() => [stsApiKey]);
    const s = useLifecycleSuite({
      entry: (url) => ({ display_name: 'Fake AWS', auth_mode: 'AWS_SIGV4', authorization_url: undefined, token_url: undefined, proxy: { base_url: url } }),
    });

    it('assumes the role again through the integration\'s STS every 45 minutes, with the stored external id and region', async () => {
      const { rig, env } = s;
      // The fake's expiry would be on the wall clock, which time skipping leaves behind: it states none, and the hour runs on the workflow's clock.
      const fake = mountFakeAws(rig.provider, { stsApiKey, roles: { [ROLE]: 'ext-id-1234' }, service: 'execute-api', lifetimeSeconds: 3600, omitExpiry: true });
      await new IntegrationStore(rig.db, rig.cipher).update(rig.integration, {
        custom: { service: 'execute-api', stsMode: 'custom', stsEndpointUrl: `${rig.provider.url}/aws/sts`, stsAuthType: 'api_key' },
        customSecrets: { stsApiKey },
      });
      const expiresAt = new Date(Date.now() + 3_600_000);
      const { row } = await rig.connections.importConnection({
        environmentId: rig.environment.id,
        integrationId: rig.integration.id,
        connectionId: 'aws',
        credentials: { type: 'AWS_SIGV4', role_arn: ROLE, region: 'eu-west-1', service: 'execute-api', access_key_id: 'ASIAIMPORTED', secret_access_key: 'imported-secret', session_token: 'imported-token', expires_at: expiresAt.toISOString(), external_id: 'ext-id-1234', raw: {} },
        expiresAt,
      });
      const { workflowId } = await rig.startWorkflow(row);
      await env.sleep('3 hours');
      expect((await env.client.workflow.getHandle(workflowId).query(stateQuery)).status).to.equal('active');
      // Hour-long credentials renewed 15 minutes early: at 45 minutes, then every 45 minutes.
      expect(fake.assumed.length).to.be.within(3, 5);
      expect(fake.assumed.every((a) => a.accepted && a.externalId === 'ext-id-1234' && a.region === 'eu-west-1')).to.equal(true);
      const stored = rig.connections.credentialsOf(await connectionRow(rig, row.id));
      if (stored.type !== 'AWS_SIGV4') throw new Error('expected AWS_SIGV4 credentials');
      expect(stored.access_key_id).to.equal([...fake.issued.keys()].at(-1));
    });
  });
});
