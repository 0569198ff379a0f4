import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { WebSocket } from 'ws';
import { AUTH_OUTCOME_CHANNEL } from '../../src/api/websocket/auth-outcome-bus';
import { AuthWebsocket } from '../../src/api/websocket/auth-websocket';
import { Cipher } from '../../src/crypto/cipher';
import { AuthAttemptEntity } from '../../src/db/entities';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore } from '../../src/integrations/integration-store';
import { createLogger } from '../../src/logger';
import { openStorage } from '../../src/start/open-storage';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('browser WebSocket on the embedded PGlite (npm run dev)', function () {
  this.timeout(60_000);

  it('pglite-socket does not route NOTIFY between connections (why dev mode delivers in-process)', async () => {
    const embedded = await startEmbeddedPostgres({});
    const listener = new Client({ connectionString: embedded.url });
    const other = new Client({ connectionString: embedded.url });
    try {
      await listener.connect();
      await other.connect();
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(String(message.payload)));
      await listener.query(`LISTEN ${AUTH_OUTCOME_CHANNEL}`);
      await other.query('SELECT pg_notify($1, $2)', [AUTH_OUTCOME_CHANNEL, 'from-another-connection']);
      await sleep(300);
      await listener.query('SELECT 1');
      // If this ever starts to hold, LISTEN/NOTIFY could be enabled on the embedded database too.
      expect(heard).to.deep.equal([]);
    } finally {
      await listener.end();
      await other.end();
      await embedded.stop();
    }
  });

  it('without a LISTEN connection the outcome still reaches a socket of the same process, once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'custodian-ws-'));
    const storage = await openStorage({ databaseUrl: undefined, dataDir });
    expect(storage.listenUrl).to.equal(undefined);
    const websocket = await AuthWebsocket.start({ db: storage.db, logger: createLogger('silent'), listenUrl: storage.listenUrl });
    expect(websocket.bus).to.equal(null);
    const server = createServer((_req, res) => res.end());
    websocket.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    try {
      const messages: Record<string, unknown>[] = [];
      ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
      const deadline = Date.now() + 10_000;
      while (messages.length === 0 && Date.now() < deadline) await sleep(20);
      expect(messages[0]?.message_type).to.equal('connection_ack');
      const wsClientId = messages[0]!.ws_client_id as string;

      const cipher = new Cipher([{ id: 'test', key: randomBytes(32) }]);
      const { environment } = await new EnvironmentStore(storage.db, cipher).create('dev');
      const integration = await new IntegrationStore(storage.db, cipher).create(environment.id, { uniqueKey: 'fake', provider: 'fake', displayName: null, clientId: null, clientSecret: null, scopes: [], forwardWebhooks: true });
      const attempts = storage.db.getRepository(AuthAttemptEntity);
      const attempt = await attempts.save(attempts.create({
        environmentId: environment.id,
        integrationId: integration.id,
        connectionId: 'conn-1',
        status: 'failed',
        errorCode: 'authorization_denied',
        errorMessage: 'The provider answered access_denied',
        wsClientId,
        expiresAt: new Date(Date.now() + 60_000),
      }));
      await websocket.publish(attempt.id);
      await websocket.publish(attempt.id);
      await sleep(100);
      expect(messages.slice(1)).to.deep.equal([
        { message_type: 'error', provider_config_key: 'fake', connection_id: 'conn-1', error_type: 'authorization_denied', error_desc: 'The provider answered access_denied' },
      ]);
    } finally {
      ws.terminate();
      await websocket.close();
      await new Promise((resolve) => server.close(resolve));
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
