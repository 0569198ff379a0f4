import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { startTestApi, type TestApi } from '../support/api-server';
import { http, type HttpOptions } from '../support/http';
import type { ConnectionEntity } from '../../src/db/entities';

const CONNECT_URL = 'https://connect.example.com/ui';
const TOKEN = /^nango_connect_session_[0-9a-f]{64}$/;
const THIRTY_MINUTES_MS = 30 * 60 * 1000;
const DEFAULT_UI_SETTINGS = { theme: { light: { primary: '#00B2E3' }, dark: { primary: '#00B2E3' } }, defaultTheme: 'system', showWatermark: false, logoUrl: null };

/** The Connect session routes over raw HTTP (API.md §1), no Temporal needed. */
describe('connect sessions API (API.md §1)', () => {
  let api: TestApi;
  let otherKey: string;
  let connection: ConnectionEntity;

  const backend = (method: string, path: string, body?: unknown, key?: string) => http(api.url, method, path, { token: key ?? api.secretKey, body });
  const asSession = (method: string, path: string, token: string, options: HttpOptions = {}) => http(api.url, method, path, { ...options, token });
  const tokenOf = async (body: unknown, key?: string): Promise<string> => {
    const res = await backend('POST', '/connect/sessions', body, key);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.data.token as string;
  };
  const sessionRow = async (token: string) => {
    const hash = createHash('sha256').update(token).digest('hex');
    const [row] = await api.deps.db.query('SELECT * FROM connect_session WHERE token_hash = $1', [hash]);
    return row;
  };
  const sessionCount = async () => Number((await api.deps.db.query('SELECT count(*) AS n FROM connect_session'))[0].n);

  before(async () => {
    api = await startTestApi({ env: { CONNECT_URL } });
    otherKey = await api.createEnvironment('other');
    await backend('POST', '/integrations', { provider: 'github', unique_key: 'github-prod' });
    await backend('POST', '/integrations', { provider: 'slack', unique_key: 'slack' });
    // The other environment reuses a key of ours for another provider, and has one of its own.
    await backend('POST', '/integrations', { provider: 'gitlab', unique_key: 'github-prod' }, otherKey);
    await backend('POST', '/integrations', { provider: 'notion', unique_key: 'other-only' }, otherKey);
    const environment = (await api.deps.environments.findBySecretKey(api.secretKey))!;
    const github = (await api.deps.integrations.find(environment.id, 'github-prod'))!;
    ({ row: connection } = await api.deps.connections.importConnection({
      environmentId: environment.id, integrationId: github.id, connectionId: 'conn-1', expiresAt: null,
      credentials: { type: 'OAUTH2', access_token: 'at-1', raw: {} },
      endUser: { id: 'u-conn', email: 'conn@example.com', organization: { id: 'org-conn' } },
    }));
  });
  after(async () => api?.close());

  describe('POST /connect/sessions', () => {
    it('the answer carrying the session token sends Cache-Control: no-store, so no browser or proxy cache keeps the token', async () => {
      const res = await backend('POST', '/connect/sessions', { end_user: { id: 'u-cache' } });
      expect(res.status).to.equal(201);
      expect(res.body.data.token).to.match(TOKEN);
      expect(res.headers.get('cache-control')).to.equal('no-store');
    });

    it('answers 201 with the token, a connect link to CONNECT_URL carrying the token and SERVER_URL, and an expiry 30 minutes out', async () => {
      const before = Date.now();
      const res = await backend('POST', '/connect/sessions', { end_user: { id: 'u-1' } });
      expect(res.status).to.equal(201);
      expect(Object.keys(res.body)).to.deep.equal(['data']);
      const { token, connect_link, expires_at } = res.body.data;
      expect(Object.keys(res.body.data)).to.have.members(['token', 'connect_link', 'expires_at']);
      expect(token).to.match(TOKEN);
      expect(connect_link).to.equal(`${CONNECT_URL}/?session_token=${token}&apiURL=${encodeURIComponent(api.url)}`);
      expect(new URL(connect_link).searchParams.get('apiURL')).to.equal(api.url);
      expect(new Date(expires_at).toISOString()).to.equal(expires_at);
      const ttl = new Date(expires_at).getTime() - before;
      expect(ttl).to.be.within(THIRTY_MINUTES_MS - 1_000, THIRTY_MINUTES_MS + 5_000);
    });

    it('defaults connect_link to SERVER_URL/connect when CONNECT_URL is unset', async () => {
      const plain = await startTestApi();
      try {
        const res = await http(plain.url, 'POST', '/connect/sessions', { token: plain.secretKey, body: { tags: { team: 'a' } } });
        expect(res.status).to.equal(201);
        expect(res.body.data.connect_link).to.equal(`${plain.url}/connect/?session_token=${res.body.data.token}&apiURL=${encodeURIComponent(plain.url)}`);
      } finally {
        await plain.close();
      }
    });

    it('never stores the token in the clear: only its SHA-256 hash', async () => {
      const token = await tokenOf({ end_user: { id: 'u-secret' } });
      const rows = await api.deps.db.query('SELECT * FROM connect_session');
      const secretPart = token.slice('nango_connect_session_'.length);
      for (const row of rows) {
        for (const value of Object.values(row)) {
          const text = value instanceof Date ? value.toISOString() : JSON.stringify(value);
          expect(text).to.not.contain(secretPart);
        }
      }
      expect((await sessionRow(token)).token_hash).to.equal(createHash('sha256').update(token).digest('hex'));
    });

    it('stores the end user (with the legacy organization folded in), allowed integrations, config defaults and webhook override', async () => {
      const token = await tokenOf({
        end_user: { id: 'u-2', email: 'jane@example.com', display_name: 'Jane', tags: { Plan: 'pro' } },
        organization: { id: 'org-2', display_name: 'Acme' },
        allowed_integrations: ['github-prod'],
        integrations_config_defaults: { 'github-prod': { user_scopes: 'repo', authorization_params: { prompt: 'consent' }, connection_config: { oauth_scopes_override: 'repo,user', subdomain: 'acme' } } },
        webhook_url_override: 'https://hooks.example.com/custodian',
      });
      const row = await sessionRow(token);
      expect(row.end_user).to.deep.equal({ id: 'u-2', email: 'jane@example.com', display_name: 'Jane', tags: { plan: 'pro' }, organization: { id: 'org-2', display_name: 'Acme' } });
      expect(row.organization).to.deep.equal({ id: 'org-2', display_name: 'Acme' });
      expect(row.allowed_integrations).to.deep.equal(['github-prod']);
      expect(row.integrations_config_defaults).to.deep.equal({
        'github-prod': { user_scopes: 'repo', authorization_params: { prompt: 'consent' }, connection_config: { oauth_scopes_override: 'repo,user', subdomain: 'acme' } },
      });
      expect(row.webhook_url_override).to.equal('https://hooks.example.com/custodian');
      expect(row.connection_row_id).to.equal(null);
    });

    it('stores no webhook override for "" and no restriction for an empty allowed_integrations', async () => {
      const row = await sessionRow(await tokenOf({ end_user: { id: 'u-3' }, webhook_url_override: '', allowed_integrations: [] }));
      expect(row.webhook_url_override).to.equal(null);
      expect(row.allowed_integrations).to.equal(null);
    });

    describe('tags', () => {
      const tagsOf = async (body: unknown) => (await sessionRow(await tokenOf(body))).tags;

      it('maps the end user and organization to tags, then end_user.tags, then top-level tags win (keys lower-cased)', async () => {
        expect(await tagsOf({
          end_user: { id: 'u-4', email: 'bo@example.com', display_name: 'Bo', tags: { Plan: 'pro', END_USER_ID: 'overridden', region: 'eu' } },
          organization: { id: 'org-4', display_name: 'Org Four' },
          tags: { Team: 'core', plan: 'enterprise' },
        })).to.deep.equal({
          end_user_id: 'overridden', end_user_email: 'bo@example.com', end_user_display_name: 'Bo',
          organization_id: 'org-4', organization_display_name: 'Org Four', plan: 'enterprise', region: 'eu', team: 'core',
        });
      });

      it('takes the organization nested in end_user when there is no top-level one, and skips empty values', async () => {
        expect(await tagsOf({ end_user: { id: 'u-5', display_name: '', organization: { id: 'org-5' } } })).to.deep.equal({ end_user_id: 'u-5', organization_id: 'org-5' });
        expect(await tagsOf({ end_user: { id: 'u-5b' }, organization: { id: '' } })).to.deep.equal({ end_user_id: 'u-5b' });
      });

      it('keeps only top-level tags when there is no end user', async () => {
        expect(await tagsOf({ tags: { ProjectId: '123' } })).to.deep.equal({ projectid: '123' });
      });

      it('never exceeds 10 tags: end_user.tags that do not fit beside the generated ones are dropped as a whole', async () => {
        const sixTags = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`t${i}`, `v${i}`]));
        expect(await tagsOf({
          end_user: { id: 'u-6', email: 'six@example.com', display_name: 'Six', tags: sixTags },
          organization: { id: 'org-6', display_name: 'Org Six' },
          tags: { team: 'core' },
        })).to.deep.equal({
          end_user_id: 'u-6', end_user_email: 'six@example.com', end_user_display_name: 'Six', organization_id: 'org-6', organization_display_name: 'Org Six', team: 'core',
        });
      });

      it('never exceeds 10 tags: top-level tags are kept whole and the lowest-priority derived tags give way', async () => {
        const eight = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`k${i}`, `v${i}`]));
        expect(await tagsOf({
          end_user: { id: 'u-7', email: 'seven@example.com', display_name: 'Seven' }, organization: { id: 'org-7' }, tags: eight,
        })).to.deep.equal({ ...eight, end_user_id: 'u-7', end_user_email: 'seven@example.com' });
        const ten = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [`k${i}`, `v${i}`]));
        expect(await tagsOf({ end_user: { id: 'u-8' }, tags: ten })).to.deep.equal(ten);
      });
    });

    describe('validation', () => {
      const expectInvalid = async (body: unknown, paths: (string | number)[][]) => {
        const res = await backend('POST', '/connect/sessions', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal('invalid_body');
        expect(res.body.error.message).to.be.a('string').and.not.equal('');
        expect(res.body.error.errors.map((e: { path: unknown }) => e.path), JSON.stringify(body)).to.deep.equal(paths);
      };

      it('requires end_user unless tags are given (400 invalid_body at ["end_user"])', async () => {
        const res = await backend('POST', '/connect/sessions', { allowed_integrations: ['github-prod'] });
        expect(res.status).to.equal(400);
        expect(res.body).to.deep.equal({
          error: {
            code: 'invalid_body', message: 'Invalid request body',
            errors: [{ code: 'custom', message: 'end_user is required unless tags are given', path: ['end_user'] }],
          },
        });
        await expectInvalid(undefined, [[]]);
      });

      it('refuses bad end user, organization, tags, webhook override, allowed_integrations and config defaults fields with their paths', async () => {
        await expectInvalid({ end_user: { id: '' } }, [['end_user', 'id']]);
        await expectInvalid({ end_user: { id: 'x'.repeat(256) } }, [['end_user', 'id']]);
        await expectInvalid({ end_user: { email: 'a@b.co' } }, [['end_user', 'id']]);
        await expectInvalid({ end_user: { id: 'u', email: 'not-an-email' } }, [['end_user', 'email']]);
        await expectInvalid({ end_user: { id: 'u', tags: { ok: '' } } }, [['end_user', 'tags', 'ok']]);
        await expectInvalid({ end_user: { id: 'u' }, organization: { display_name: 'x' } }, [['organization', 'id']]);
        await expectInvalid({ tags: Object.fromEntries([...Array(11).keys()].map((i) => [`k${i}`, 'v'])) }, [['tags']]);
        await expectInvalid({ end_user: { id: 'u' }, webhook_url_override: 'ftp://example.com' }, [['webhook_url_override']]);
        await expectInvalid({ end_user: { id: 'u' }, allowed_integrations: 'github-prod' }, [['allowed_integrations']]);
        await expectInvalid({ end_user: { id: 'u' }, allowed_integrations: ['ok', 'bad/key'] }, [['allowed_integrations', 1]]);
        await expectInvalid({ end_user: { id: 'u' }, integrations_config_defaults: { 'github-prod': { scopes: 'x' } } }, [['integrations_config_defaults', 'github-prod']]);
        await expectInvalid({ end_user: { id: 'u' }, integrations_config_defaults: { 'github-prod': { authorization_params: { prompt: 1 } } } }, [['integrations_config_defaults', 'github-prod', 'authorization_params', 'prompt']]);
        await expectInvalid({ end_user: { id: 'u' }, colour: 'red' }, [[]]);
      });

      it('refuses tag keys that do not start with a letter', async () => {
        const res = await backend('POST', '/connect/sessions', { tags: { '1abc': 'v' } });
        expect(res.status).to.equal(400);
        expect(res.body.error.code).to.equal('invalid_body');
        expect(res.body.error.errors[0].path[0]).to.equal('tags');
      });

      it('refuses integrations the environment does not have, one error per key at its path, storing nothing', async () => {
        const count = await sessionCount();
        const res = await backend('POST', '/connect/sessions', {
          end_user: { id: 'u' },
          allowed_integrations: ['github-prod', 'nope', 'other-only'],
          integrations_config_defaults: { slack: {}, 'nope-2': { user_scopes: 'x' } },
        });
        expect(res.status).to.equal(400);
        const missing = (path: (string | number)[]) => ({ code: 'invalid', message: 'Integration does not exist', path });
        expect(res.body).to.deep.equal({
          error: {
            code: 'invalid_body', message: 'Unknown integrations in the request body',
            errors: [missing(['allowed_integrations', 1]), missing(['allowed_integrations', 2]), missing(['integrations_config_defaults', 'nope-2'])],
          },
        });
        expect(await sessionCount()).to.equal(count);
      });

      it('answers 415 invalid_content_type for a non-JSON body and 400 invalid_json for malformed JSON', async () => {
        const form = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        expect(form.status).to.equal(415);
        expect(form.body.error.code).to.equal('invalid_content_type');
        const bad = await http(api.url, 'POST', '/connect/sessions', { token: api.secretKey, rawBody: '{', headers: { 'content-type': 'application/json' } });
        expect(bad.status).to.equal(400);
        expect(bad.body.error.code).to.equal('invalid_json');
      });
    });

    it('rejects a missing, unknown or malformed secret key, and a session token (never tried as a secret key), with 401', async () => {
      const session = await tokenOf({ end_user: { id: 'u' } });
      const cases: Array<[HttpOptions, string]> = [
        [{}, 'missing_auth_header'],
        [{ headers: { authorization: 'Basic abc' } }, 'malformed_auth_header'],
        [{ token: 'not-a-key' }, 'invalid_secret_key_format'],
        [{ token: '0b9f8c4e-2a1d-4c3b-9e8f-7a6b5c4d3e2f' }, 'unknown_account'],
        [{ token: session }, 'invalid_secret_key_format'],
      ];
      for (const path of ['/connect/sessions', '/connect/sessions/reconnect']) {
        for (const [options, code] of cases) {
          const res = await http(api.url, 'POST', path, { ...options, body: { end_user: { id: 'u' }, connection_id: 'conn-1', integration_id: 'github-prod' } });
          expect(res.status, `${path} ${code}`).to.equal(401);
          expect(res.body, `${path} ${code}`).to.deep.equal({ error: { code, message: res.body.error.message } });
        }
        const viaQuery = await http(api.url, 'POST', `${path}?connect_session_token=${session}`, { body: { end_user: { id: 'u' } } });
        expect(viaQuery.status).to.equal(401);
        expect(viaQuery.body.error.code).to.equal('missing_auth_header');
      }
    });
  });

  describe('POST /connect/sessions/reconnect', () => {
    it('answers 201 with the same shape and binds the session to the connection, allowing only its integration', async () => {
      const res = await backend('POST', '/connect/sessions/reconnect', { connection_id: 'conn-1', integration_id: 'github-prod', tags: { Team: 'core' } });
      expect(res.status).to.equal(201);
      const { token, connect_link, expires_at } = res.body.data;
      expect(Object.keys(res.body.data)).to.have.members(['token', 'connect_link', 'expires_at']);
      expect(token).to.match(TOKEN);
      expect(connect_link).to.equal(`${CONNECT_URL}/?session_token=${token}&apiURL=${encodeURIComponent(api.url)}`);
      expect(new Date(expires_at).getTime() - Date.now()).to.be.within(THIRTY_MINUTES_MS - 5_000, THIRTY_MINUTES_MS + 1_000);
      const row = await sessionRow(token);
      expect(row.connection_row_id).to.equal(connection.id);
      expect(row.allowed_integrations).to.deep.equal(['github-prod']);
      expect(row.tags).to.deep.equal({ team: 'core' });

      const session = await asSession('GET', '/connect/session', token);
      expect(session.status).to.equal(200);
      expect(session.body).to.deep.equal({
        data: {
          // No end user in the body: the Connect UI shows the connection's.
          endUser: { id: 'u-conn', display_name: null, email: 'conn@example.com', tags: null, organization: { id: 'org-conn', display_name: null } },
          connectUISettings: DEFAULT_UI_SETTINGS,
          allowed_integrations: ['github-prod'],
          isReconnecting: true,
          websocketsPath: '/',
        },
      });
      const listed = await asSession('GET', '/integrations', token);
      expect(listed.body.data.map((i: { unique_key: string }) => i.unique_key)).to.deep.equal(['github-prod']);
    });

    it('takes the end user, organization, config defaults and webhook override of the body', async () => {
      const res = await backend('POST', '/connect/sessions/reconnect', {
        connection_id: 'conn-1', integration_id: 'github-prod',
        end_user: { id: 'u-new', display_name: 'New' }, organization: { id: 'org-new' },
        integrations_config_defaults: { 'github-prod': { user_scopes: 'repo' } }, webhook_url_override: 'https://hooks.example.com/re',
      });
      expect(res.status).to.equal(201);
      const row = await sessionRow(res.body.data.token);
      expect(row.end_user).to.deep.equal({ id: 'u-new', display_name: 'New', organization: { id: 'org-new' } });
      expect(row.tags).to.deep.equal({ end_user_id: 'u-new', end_user_display_name: 'New', organization_id: 'org-new' });
      expect(row.webhook_url_override).to.equal('https://hooks.example.com/re');
      const session = await asSession('GET', '/connect/session', res.body.data.token);
      expect(session.body.data.integrations_config_defaults).to.deep.equal({ 'github-prod': { user_scopes: 'repo' } });
      expect(session.body.data.isReconnecting).to.equal(true);
    });

    it('refuses an unknown integration_id / connection_id pair with 400 invalid_body, storing nothing', async () => {
      const count = await sessionCount();
      const cases: Array<[unknown, string, string]> = [
        [{ connection_id: 'conn-1', integration_id: 'nope' }, 'integration_id', 'Integration "nope" does not exist'],
        [{ connection_id: 'nope', integration_id: 'github-prod' }, 'connection_id', 'Connection "nope" of integration "github-prod" does not exist'],
        [{ connection_id: 'conn-1', integration_id: 'slack' }, 'connection_id', 'Connection "conn-1" of integration "slack" does not exist'],
        [{ connection_id: 'conn-1', integration_id: 'other-only' }, 'integration_id', 'Integration "other-only" does not exist'],
      ];
      for (const [body, field, message] of cases) {
        const res = await backend('POST', '/connect/sessions/reconnect', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body, JSON.stringify(body)).to.deep.equal({ error: { code: 'invalid_body', message, errors: [{ code: 'invalid', message, path: [field] }] } });
      }
      // The other environment's key never reaches our connection, even under its own `github-prod`.
      const other = await backend('POST', '/connect/sessions/reconnect', { connection_id: 'conn-1', integration_id: 'github-prod' }, otherKey);
      expect(other.status).to.equal(400);
      expect(other.body.error.errors[0].path).to.deep.equal(['connection_id']);
      expect(await sessionCount()).to.equal(count);
    });

    it('refuses missing ids, allowed_integrations (implied by integration_id) and unknown integrations in config defaults', async () => {
      const paths = async (body: unknown) => {
        const res = await backend('POST', '/connect/sessions/reconnect', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code).to.equal('invalid_body');
        return res.body.error.errors.map((e: { path: unknown }) => e.path);
      };
      expect(await paths({ integration_id: 'github-prod' })).to.deep.equal([['connection_id']]);
      expect(await paths({ connection_id: 'conn-1' })).to.deep.equal([['integration_id']]);
      expect(await paths({ connection_id: 'conn-1', integration_id: 'github-prod', allowed_integrations: ['github-prod'] })).to.deep.equal([[]]);
      expect(await paths({ connection_id: 'conn-1', integration_id: 'github-prod', integrations_config_defaults: { nope: {} } })).to.deep.equal([['integrations_config_defaults', 'nope']]);
    });
  });

  describe('GET /connect/session', () => {
    it('answers 200 with the end user, UI settings, allowed integrations and config defaults (camelCase where Nango has it)', async () => {
      const token = await tokenOf({
        end_user: { id: 'u-9', email: 'nine@example.com', display_name: 'Nine', tags: { Plan: 'pro' } },
        organization: { id: 'org-9', display_name: 'Org Nine' },
        allowed_integrations: ['github-prod', 'slack'],
        integrations_config_defaults: { slack: { connection_config: { oauth_scopes_override: 'chat:write' } } },
      });
      const res = await asSession('GET', '/connect/session', token);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        data: {
          endUser: { id: 'u-9', display_name: 'Nine', email: 'nine@example.com', tags: { plan: 'pro' }, organization: { id: 'org-9', display_name: 'Org Nine' } },
          connectUISettings: DEFAULT_UI_SETTINGS,
          allowed_integrations: ['github-prod', 'slack'],
          integrations_config_defaults: { slack: { connection_config: { oauth_scopes_override: 'chat:write' } } },
          websocketsPath: '/',
        },
      });
    });

    it('answers endUser null and leaves out the optional keys for a session made with tags only', async () => {
      const res = await asSession('GET', '/connect/session', await tokenOf({ tags: { project: 'p1' } }));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ data: { endUser: null, connectUISettings: DEFAULT_UI_SETTINGS, websocketsPath: '/' } });
    });

    it("takes the theme and primary colour from the environment's Connect UI settings", async () => {
      const token = await tokenOf({ end_user: { id: 'u-10' } });
      const patched = await backend('PATCH', '/environment', { connect_ui: { theme: 'dark', primary_color: '#123456', logo_url: 'https://cdn.example.com/acme.svg' } });
      expect(patched.status).to.equal(200);
      try {
        const res = await asSession('GET', '/connect/session', token);
        expect(res.body.data.connectUISettings).to.deep.equal({
          theme: { light: { primary: '#123456' }, dark: { primary: '#123456' } },
          defaultTheme: 'dark',
          showWatermark: false,
          logoUrl: 'https://cdn.example.com/acme.svg',
        });
      } finally {
        await backend('PATCH', '/environment', { connect_ui: { theme: 'system', primary_color: null, logo_url: null } });
      }
    });

    it('is reusable until it expires: two reads succeed, from the header or the connect_session_token query', async () => {
      const token = await tokenOf({ end_user: { id: 'u-11' } });
      expect((await asSession('GET', '/connect/session', token)).status).to.equal(200);
      expect((await asSession('GET', '/connect/session', token)).status).to.equal(200);
      const viaQuery = await http(api.url, 'GET', `/connect/session?connect_session_token=${token}`);
      expect(viaQuery.status).to.equal(200);
      expect(viaQuery.body.data.endUser.id).to.equal('u-11');
    });

    it('answers 401 unknown_connect_session_token once the session has expired', async () => {
      const token = await tokenOf({ end_user: { id: 'u-12' } });
      await api.deps.db.query(`UPDATE connect_session SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [createHash('sha256').update(token).digest('hex')]);
      for (const [method, path] of [['GET', '/connect/session'], ['DELETE', '/connect/session'], ['GET', '/integrations']]) {
        const res = await asSession(method!, path!, token);
        expect(res.status, `${method} ${path}`).to.equal(401);
        expect(res.body, `${method} ${path}`).to.deep.equal({ error: { code: 'unknown_connect_session_token', message: 'Unknown or expired connect session token' } });
      }
    });

    it('rejects a missing header, a malformed or unknown session token, and a secret key (which never opens session-only routes), with 401', async () => {
      const unknown = `nango_connect_session_${'ab'.repeat(32)}`;
      const cases: Array<[HttpOptions, string]> = [
        [{}, 'missing_auth_header'],
        [{ headers: { authorization: 'Token abc' } }, 'malformed_auth_header'],
        [{ token: 'nango_connect_session_xyz' }, 'invalid_connect_session_token_format'],
        [{ token: unknown }, 'unknown_connect_session_token'],
        [{ token: api.secretKey }, 'invalid_connect_session_token_format'],
      ];
      for (const method of ['GET', 'DELETE']) {
        for (const [options, code] of cases) {
          const res = await http(api.url, method, '/connect/session', options);
          expect(res.status, `${method} ${code}`).to.equal(401);
          expect(res.body, `${method} ${code}`).to.deep.equal({ error: { code, message: res.body.error.message } });
        }
      }
    });
  });

  describe('DELETE /connect/session', () => {
    it('answers 204 and the token stops working everywhere (401 unknown_connect_session_token)', async () => {
      const token = await tokenOf({ end_user: { id: 'u-13' } });
      const res = await asSession('DELETE', '/connect/session', token);
      expect(res.status).to.equal(204);
      expect(res.body).to.equal(undefined);
      for (const [method, path] of [['GET', '/connect/session'], ['DELETE', '/connect/session'], ['GET', '/integrations'], ['GET', '/providers']]) {
        const again = await asSession(method!, path!, token);
        expect(again.status, `${method} ${path}`).to.equal(401);
        expect(again.body.error.code, `${method} ${path}`).to.equal('unknown_connect_session_token');
      }
    });

    it('ends only that session', async () => {
      const first = await tokenOf({ end_user: { id: 'u-14' } });
      const second = await tokenOf({ end_user: { id: 'u-14' } });
      expect((await asSession('DELETE', '/connect/session', first)).status).to.equal(204);
      expect((await asSession('GET', '/connect/session', second)).status).to.equal(200);
    });
  });

  describe('environment isolation', () => {
    it("lists only the session's allowed integrations of its own environment on GET /integrations", async () => {
      const restricted = await tokenOf({ end_user: { id: 'u-15' }, allowed_integrations: ['github-prod'] });
      const res = await asSession('GET', '/integrations', restricted);
      expect(res.status).to.equal(200);
      expect(res.body.data.map((i: { unique_key: string; provider: string }) => [i.unique_key, i.provider])).to.deep.equal([['github-prod', 'github']]);

      const open = await tokenOf({ end_user: { id: 'u-15' } });
      const all = await asSession('GET', '/integrations', open);
      expect(all.body.data.map((i: { unique_key: string }) => i.unique_key)).to.have.members(['github-prod', 'slack']);

      const theirs = await tokenOf({ end_user: { id: 'u-15' }, allowed_integrations: ['github-prod', 'other-only'] }, otherKey);
      const other = await asSession('GET', '/integrations', theirs);
      expect(other.body.data.map((i: { unique_key: string; provider: string }) => [i.unique_key, i.provider])).to.have.deep.members([['github-prod', 'gitlab'], ['other-only', 'notion']]);
    });

    it("refuses another environment's integration in allowed_integrations", async () => {
      const res = await backend('POST', '/connect/sessions', { end_user: { id: 'u' }, allowed_integrations: ['other-only'] });
      expect(res.status).to.equal(400);
      expect(res.body.error.errors).to.deep.equal([{ code: 'invalid', message: 'Integration does not exist', path: ['allowed_integrations', 0] }]);
    });
  });

  describe('POST /connect/telemetry', () => {
    it('answers 204 to any JSON body, without authentication', async () => {
      const event = { token: 'nango_connect_session_whatever', event: 'open', timestamp: new Date().toISOString(), dimensions: { integration: 'github-prod' } };
      for (const options of [{ body: event }, { body: { anything: [1, 2, 3] } }, {}] as HttpOptions[]) {
        const res = await http(api.url, 'POST', '/connect/telemetry', options);
        expect(res.status, JSON.stringify(options)).to.equal(204);
        expect(res.body).to.equal(undefined);
      }
    });

    it('still bounds the body: over 1 MB → 413, malformed JSON → 400 invalid_json', async () => {
      const big = await http(api.url, 'POST', '/connect/telemetry', { rawBody: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } });
      expect(big.status).to.equal(413);
      const bad = await http(api.url, 'POST', '/connect/telemetry', { rawBody: '{', headers: { 'content-type': 'application/json' } });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('invalid_json');
    });
  });

  describe('CORS (browser-facing /connect/*)', () => {
    it('answers preflights and adds the CORS headers for any origin', async () => {
      const preflight = await http(api.url, 'OPTIONS', '/connect/session', {
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal('*');
      expect(preflight.headers.get('access-control-allow-methods')).to.contain('DELETE');
      expect(preflight.headers.get('access-control-allow-headers')).to.contain('Authorization');
      const token = await tokenOf({ end_user: { id: 'u-16' } });
      const res = await asSession('GET', '/connect/session', token, { headers: { origin: 'https://app.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      const telemetry = await http(api.url, 'POST', '/connect/telemetry', { body: { event: 'open' }, headers: { origin: 'https://app.example.com' } });
      expect(telemetry.headers.get('access-control-allow-origin')).to.equal('*');
    });
  });
});
