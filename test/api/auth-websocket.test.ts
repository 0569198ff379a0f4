import { expect } from 'chai';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from 'pg';
import { WebSocket } from 'ws';
import { createDevServerEnv } from '../support/temporal-env';
import { startConnectionsRig, type ConnectionsRig } from '../support/connections-rig';
import { startTestApi, type TestApi } from '../support/api-server';
import { http } from '../support/http';
import { AuthAttemptEntity, ConnectionEntity } from '../../src/db/entities';
import { LISTENER_APPLICATION_NAME } from '../../src/api/websocket/auth-outcome-bus';
import { CookieJar } from '../support/cookie-jar';

/** One browser for the file's flows: the callback must come from the browser that started the attempt. */
const fetch = new CookieJar().fetch;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STEP_MS = 10_000;

type Message = Record<string, unknown>;

/** A browser-like WebSocket client: collects every message. */
class BrowserSocket {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(apiUrl: string): Promise<BrowserSocket> {
    const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/`);
    const socket = new BrowserSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  }

  /** The n-th message (0-based), waiting for it up to STEP_MS. */
  async nth(index: number): Promise<Message> {
    const deadline = Date.now() + STEP_MS;
    while (this.messages.length <= index) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message #${index} within ${STEP_MS} ms (got ${JSON.stringify(this.messages)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages[index]!;
  }

  async ack(): Promise<string> {
    const ack = await this.nth(0);
    expect(ack.message_type).to.equal('connection_ack');
    expect(ack.ws_client_id).to.match(UUID);
    return ack.ws_client_id as string;
  }

  close(): void {
    this.ws.terminate();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('browser WebSocket of the OAuth flow (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let rig: ConnectionsRig;
  let second: TestApi;
  const sockets: BrowserSocket[] = [];

  before(async () => {
    env = await createDevServerEnv();
    rig = await startConnectionsRig(env);
    // Another API instance on the same database and Temporal, behind the same public URL (a load balancer).
    second = await startTestApi({
      databaseUrl: rig.api.databaseUrl,
      encryptionKey: rig.api.encryptionKey,
      temporal: env.client,
      catalog: rig.api.deps.catalog,
      env: { SERVER_URL: rig.api.url, TEMPORAL_TASK_QUEUE: rig.api.deps.config.temporal.taskQueue, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await second?.close();
    await rig?.close();
    await env?.teardown();
  });

  async function open(api: TestApi): Promise<BrowserSocket> {
    const socket = await BrowserSocket.open(api.url);
    sockets.push(socket);
    return socket;
  }

  async function session(): Promise<string> {
    const created = await http(rig.api.url, 'POST', '/connect/sessions', { token: rig.api.secretKey, body: { end_user: { id: 'u-ws' } } });
    expect(created.status).to.equal(201);
    return created.body.data.token as string;
  }

  /** `/oauth/connect` on `api` with this ws_client_id; returns the provider's authorize URL and the state. */
  async function connect(api: TestApi, wsClientId: string): Promise<{ authorize: URL; state: string }> {
    const token = await session();
    const start = await fetch(`${api.url}/oauth/connect/fake?connect_session_token=${token}&ws_client_id=${wsClientId}`, { redirect: 'manual' });
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    return { authorize, state: authorize.searchParams.get('state')! };
  }

  /** Follows the provider's consent and delivers its callback to `api` (whatever host the redirect names). */
  async function consentAndCallback(api: TestApi, authorize: URL): Promise<Response> {
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    return fetch(`${api.url}${callback.pathname}${callback.search}`);
  }

  it('sends connection_ack with a fresh uuid to each socket, and ignores what the browser sends', async () => {
    const a = await open(rig.api);
    const b = await open(rig.api);
    const [ida, idb] = [await a.ack(), await b.ack()];
    expect(ida).to.not.equal(idb);
    a.ws.send('{"message_type":"ping"}');
    a.ws.send('not json');
    await sleep(100);
    expect(a.ws.readyState).to.equal(WebSocket.OPEN);
    expect(a.messages).to.have.length(1);
  });

  it('refuses upgrades on other paths', async () => {
    const ws = new WebSocket(`${rig.api.url.replace(/^http/, 'ws')}/connections`);
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(status).to.equal(404);
  });

  it('single instance: success with the stored connection, once', async () => {
    const socket = await open(rig.api);
    const wsClientId = await socket.ack();
    const { authorize, state } = await connect(rig.api, wsClientId);
    const page = await consentAndCallback(rig.api, authorize);
    expect(page.status).to.equal(200);
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt.wsClientId).to.equal(wsClientId);
    const connection = await rig.api.deps.db.getRepository(ConnectionEntity).findOneByOrFail({ id: attempt.connectionRowId! });
    expect(await socket.nth(1)).to.deep.equal({ message_type: 'success', provider_config_key: 'fake', connection_id: connection.connectionId, is_pending: false });
    await sleep(300); // the NOTIFY of this very callback comes back to this instance: it must not send again
    expect(socket.messages).to.have.length(2);
  });

  it('single instance: a refusal at the provider sends error with its error_type', async () => {
    const socket = await open(rig.api);
    const wsClientId = await socket.ack();
    const { state } = await connect(rig.api, wsClientId);
    const page = await fetch(`${rig.api.url}/oauth/callback?error=access_denied&state=${state}`);
    expect(page.status).to.equal(400);
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(await socket.nth(1)).to.deep.equal({
      message_type: 'error',
      provider_config_key: 'fake',
      connection_id: attempt.connectionId,
      error_type: 'authorization_denied',
      error_desc: attempt.errorMessage,
    });
    expect(String(attempt.errorMessage)).to.include('access_denied');
  });

  it("@nangohq/frontend's own AuthorizationModal opens the popup URL with our ws_client_id and resolves from our success message", async () => {
    const { AuthorizationModal } = (await import('@nangohq/frontend/dist/authModal.js')) as typeof import('@nangohq/frontend/dist/authModal.js');
    const globals = globalThis as { WebSocket?: unknown };
    const previous = globals.WebSocket;
    globals.WebSocket = WebSocket; // Node 20 has no global WebSocket; the browser's and ws's agree on onmessage/close
    try {
      const token = await session();
      const baseUrl = new URL(`${rig.api.url}/oauth/connect/fake?connect_session_token=${token}`);
      let settled: (value: unknown) => void = () => undefined;
      const result = new Promise((resolve) => (settled = resolve));
      const modal = new AuthorizationModal({
        baseUrl,
        debug: false,
        webSocketUrl: `${rig.api.url.replace(/^http/, 'ws')}/`,
        successHandler: (value) => settled({ success: value }),
        errorHandler: (errorType, errorDesc) => settled({ error: { errorType, errorDesc } }),
      });
      const deadline = Date.now() + STEP_MS;
      while (!baseUrl.searchParams.get('ws_client_id') && Date.now() < deadline) await sleep(20);
      expect(baseUrl.searchParams.get('ws_client_id'), 'connection_ack read by the SDK').to.match(UUID);
      // The test plays the popup: it opens the URL the SDK built.
      const start = await fetch(baseUrl, { redirect: 'manual' });
      expect(start.status).to.equal(302);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      expect((await consentAndCallback(rig.api, new URL(start.headers.get('location')!))).status).to.equal(200);
      const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
      const timer = setTimeout(() => settled({ timeout: true }), STEP_MS);
      expect(await result).to.deep.equal({ success: { providerConfigKey: 'fake', connectionId: attempt.connectionId, isPending: false } });
      clearTimeout(timer);
      modal.close();
    } finally {
      globals.WebSocket = previous;
    }
  });

  it('two instances: the socket on A hears exactly once about a callback processed by B', async () => {
    const socket = await open(rig.api);
    const bystander = await open(second);
    const wsClientId = await socket.ack();
    await bystander.ack();
    const { authorize, state } = await connect(second, wsClientId);
    const page = await consentAndCallback(second, authorize);
    expect(page.status).to.equal(200);
    const attempt = await second.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(await socket.nth(1)).to.deep.equal({ message_type: 'success', provider_config_key: 'fake', connection_id: attempt.connectionId, is_pending: false });
    await sleep(500);
    expect(socket.messages, 'exactly once').to.have.length(2);
    expect(bystander.messages, 'other sockets hear nothing').to.have.length(1);
  });

  it('two instances: a dropped LISTEN connection comes back and catches up', async () => {
    const socket = await open(rig.api);
    const wsClientId = await socket.ack();
    const { authorize } = await connect(second, wsClientId);
    // Every instance's LISTEN session on the test database is killed; they reconnect with back-off.
    const admin = new Client({ connectionString: rig.api.databaseUrl });
    await admin.connect();
    try {
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
        [LISTENER_APPLICATION_NAME],
      );
      expect(killed.rowCount).to.equal(2);
    } finally {
      await admin.end();
    }
    const page = await consentAndCallback(second, authorize);
    expect(page.status).to.equal(200);
    expect((await socket.nth(1)).message_type).to.equal('success');
    await sleep(300);
    expect(socket.messages).to.have.length(2);
    expect(rig.api.websocket.bus?.listening).to.equal(true);
  });

  it('an unknown ws_client_id: nothing is sent to anyone, and the flow still completes', async () => {
    const socket = await open(rig.api);
    await socket.ack();
    const { authorize, state } = await connect(second, '00000000-0000-4000-8000-000000000000');
    const page = await consentAndCallback(second, authorize);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('nango_oauth_callback_success');
    const attempt = await rig.api.deps.db.getRepository(AuthAttemptEntity).findOneByOrFail({ id: state });
    expect(attempt.status).to.equal('succeeded');
    await sleep(500);
    expect(socket.messages).to.have.length(1);
  });

  it('closing the API ends its sockets', async () => {
    const third = await startTestApi({ databaseUrl: rig.api.databaseUrl, encryptionKey: rig.api.encryptionKey, temporal: env.client, catalog: rig.api.deps.catalog });
    const socket = await BrowserSocket.open(third.url);
    await socket.ack();
    const closed = new Promise<void>((resolve) => socket.ws.once('close', () => resolve()));
    await third.close();
    await closed;
    expect(third.websocket.bus?.listening).to.equal(false);
  });
});
