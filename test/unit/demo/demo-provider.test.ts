import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { DEMO_CLIENT, startDemoProvider, type DemoProvider } from '../../../src/demo/demo-provider';

const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

function form(values: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values).toString(), redirect: 'manual' };
}

describe('demo provider (real HTTP on 127.0.0.1)', () => {
  let provider: DemoProvider;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const request = { response_type: 'code', client_id: DEMO_CLIENT.id, redirect_uri: REDIRECT, state: 'st-1', scope: 'profile', code_challenge: challenge, code_challenge_method: 'S256' };

  before(async () => {
    provider = await startDemoProvider({ key: randomBytes(32) });
  });
  after(() => provider.close());

  async function authorize(decision: 'allow' | 'deny'): Promise<URL> {
    const res = await fetch(`${provider.url}/oauth/authorize`, form({ ...request, decision }));
    expect(res.status).to.equal(302);
    return new URL(res.headers.get('location')!);
  }

  async function token(values: Record<string, string>) {
    const res = await fetch(`${provider.url}/oauth/token`, form({ client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret, ...values }));
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  it('shows an authorize page with an Authorize button carrying the request', async () => {
    const res = await fetch(`${provider.url}/oauth/authorize?${new URLSearchParams(request).toString()}`);
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.contain('<button type="submit" name="decision" value="allow">Authorize</button>');
    expect(html).to.contain(`<input type="hidden" name="code_challenge" value="${challenge}">`);
  });

  it('refuses an unknown client at the authorize page', async () => {
    const res = await fetch(`${provider.url}/oauth/authorize?${new URLSearchParams({ ...request, client_id: 'other' }).toString()}`);
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: string }).error).to.equal('invalid_client');
  });

  it('Deny sends the user back with access_denied and the state', async () => {
    const back = await authorize('deny');
    expect(back.searchParams.get('error')).to.equal('access_denied');
    expect(back.searchParams.get('state')).to.equal('st-1');
  });

  it('exchanges a code once, with the PKCE verifier; the access token opens /me; refresh rotates the refresh token', async () => {
    const code = (await authorize('allow')).searchParams.get('code')!;
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: 'wrong' })).body.error).to.equal('invalid_grant');
    const code2 = (await authorize('allow')).searchParams.get('code')!;
    const first = await token({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ token_type: 'Bearer', expires_in: 300, scope: 'profile' });
    expect((await token({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: verifier })).body.error, 'single use').to.equal('invalid_grant');

    const me = await fetch(`${provider.url}/me`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect(me.status).to.equal(200);
    expect(await me.json()).to.deep.include({ id: 'demo-user-1', name: 'Ada Demo', scope: 'profile' });

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.body.refresh_token).to.not.equal(first.body.refresh_token);
    expect(refreshed.body.access_token).to.not.equal(first.body.access_token);
    expect(provider.grants).to.deep.equal({ authorization_code: 1, refresh_token: 1 });
  });

  it('answers 401 invalid_token on /me without a valid token, and 401 invalid_client on a wrong secret', async () => {
    const me = await fetch(`${provider.url}/me`, { headers: { authorization: 'Bearer demo_at_forged.sig' } });
    expect(me.status).to.equal(401);
    expect(me.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    const bad = await token({ grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'wrong' });
    expect(bad.status).to.equal(401);
    expect(bad.body.error).to.equal('invalid_client');
  });

  it('access tokens expire after the configured lifetime', async () => {
    const short = await startDemoProvider({ key: randomBytes(32), accessTokenLifetimeMs: 1 });
    try {
      const code = new URL((await fetch(`${short.url}/oauth/authorize`, form({ ...request, decision: 'allow' }))).headers.get('location')!).searchParams.get('code')!;
      const res = await fetch(`${short.url}/oauth/token`, form({ client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }));
      const { access_token: accessToken } = (await res.json()) as { access_token: string };
      await new Promise((r) => setTimeout(r, 5));
      expect((await fetch(`${short.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status).to.equal(401);
    } finally {
      await short.close();
    }
  });
});
