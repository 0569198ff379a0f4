import { Nango } from '@nangohq/node';
import { expect } from 'chai';
import { createHash, createHmac } from 'node:crypto';
import { serializeWebhookBody, type AuthWebhookEvent, type DeletionWebhookEvent } from '../../../src/webhooks/webhook-event';
import { webhookHeaders } from '../../../src/webhooks/sign-webhook';

const signingKey = 'sk-test-5f1c0c6e-🔑';
const timestamp = new Date('2026-03-01T12:34:56.789Z');

const created: AuthWebhookEvent = {
  from: 'nango',
  type: 'auth',
  operation: 'creation',
  success: true,
  connectionId: 'conn-1',
  providerConfigKey: 'github-dev',
  authMode: 'OAUTH2',
  provider: 'github',
  environment: 'dev',
  tags: { zeta: '1', alpha: '2' },
  endUser: { tags: { b: 'x', a: 'y' }, endUserId: 'u-1', endUserEmail: undefined, organizationId: 'org-1' },
};

describe('webhook body and signing', () => {
  it('serializes with keys sorted at every depth, undefined dropped, no whitespace', () => {
    expect(serializeWebhookBody(created)).to.equal(
      '{"authMode":"OAUTH2","connectionId":"conn-1","endUser":{"endUserId":"u-1","organizationId":"org-1","tags":{"a":"y","b":"x"}},' +
        '"environment":"dev","from":"nango","operation":"creation","provider":"github","providerConfigKey":"github-dev",' +
        '"success":true,"tags":{"alpha":"2","zeta":"1"},"type":"auth"}',
    );
  });

  it('serializes a failed refresh with its error, and a deletion event', () => {
    const failed: AuthWebhookEvent = {
      from: 'nango', type: 'auth', operation: 'refresh', success: false, connectionId: 'c', providerConfigKey: 'p',
      authMode: 'OAUTH2', provider: 'github', environment: 'prod', error: { type: 'refresh_token_external_error', description: 'invalid_grant' },
    };
    expect(serializeWebhookBody(failed)).to.equal(
      '{"authMode":"OAUTH2","connectionId":"c","environment":"prod","error":{"description":"invalid_grant","type":"refresh_token_external_error"},' +
        '"from":"nango","operation":"refresh","provider":"github","providerConfigKey":"p","success":false,"type":"auth"}',
    );
    const deleted: DeletionWebhookEvent = {
      from: 'nango', type: 'connection', operation: 'deletion', success: true, connectionId: 'c', providerConfigKey: 'p',
      authMode: 'API_KEY', provider: 'stripe', environment: 'prod', tags: undefined,
    };
    expect(serializeWebhookBody(deleted)).to.equal(
      '{"authMode":"API_KEY","connectionId":"c","environment":"prod","from":"nango","operation":"deletion","provider":"stripe",' +
        '"providerConfigKey":"p","success":true,"type":"connection"}',
    );
  });

  it('produces exactly the documented headers', () => {
    const body = serializeWebhookBody(created);
    const headers = webhookHeaders({ body, signingKey, webhookId: 'msg_123', timestamp });
    expect(Object.keys(headers).sort()).to.deep.equal(
      ['Content-Type', 'X-Nango-Hmac-Sha256', 'X-Nango-Signature', 'webhook-id', 'webhook-signature', 'webhook-timestamp'].sort(),
    );
    expect(headers['Content-Type']).to.equal('application/json');
    expect(headers['X-Nango-Hmac-Sha256']).to.equal(createHmac('sha256', signingKey).update(body).digest('hex'));
    expect(headers['X-Nango-Signature']).to.equal(createHash('sha256').update(signingKey + body).digest('hex'));
    expect(headers['X-Nango-Hmac-Sha256']).to.match(/^[0-9a-f]{64}$/);
    expect(headers['webhook-id']).to.equal('msg_123');
    expect(headers['webhook-timestamp']).to.equal('1772368496');
  });

  it('is accepted by the real @nangohq/node verifyIncomingWebhookRequest, and a tampered body is not', () => {
    const body = serializeWebhookBody(created);
    const headers = webhookHeaders({ body, signingKey, webhookId: 'msg_123', timestamp });
    const nango = new Nango({ secretKey: signingKey });
    expect(nango.verifyIncomingWebhookRequest(body, headers)).to.equal(true);
    // Header names arrive lower-cased from Node's http server; the SDK looks them up case-insensitively.
    const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(nango.verifyIncomingWebhookRequest(body, lowered)).to.equal(true);
    expect(nango.verifyIncomingWebhookRequest(body.replace('"conn-1"', '"conn-2"'), headers)).to.equal(false);
    expect(new Nango({ secretKey: 'another-key' }).verifyIncomingWebhookRequest(body, headers)).to.equal(false);
    // A rotated signing key distinct from the API key is passed as webhookSigningKey.
    const rotated = new Nango({ apiKey: 'api-key', webhookSigningKey: signingKey });
    expect(rotated.verifyIncomingWebhookRequest(body, headers)).to.equal(true);
  });

  it('carries a Standard Webhooks signature that an independent recomputation matches', () => {
    const body = serializeWebhookBody(created);
    const headers = webhookHeaders({ body, signingKey, webhookId: 'msg_123', timestamp });
    const signedContent = `msg_123.1772368496.${body}`;
    const expected = createHmac('sha256', new TextEncoder().encode(signingKey)).update(signedContent).digest('base64');
    expect(headers['webhook-signature']).to.equal(`v1,${expected}`);
    const [version, signature] = (headers['webhook-signature'] as string).split(',');
    expect(version).to.equal('v1');
    expect(Buffer.from(signature as string, 'base64')).to.have.length(32);
  });
});
