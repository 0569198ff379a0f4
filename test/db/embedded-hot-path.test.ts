import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ConnectionStore } from '../../src/connections/connection-store';
import { Cipher } from '../../src/crypto/cipher';
import { openDatabase } from '../../src/db/data-source';
import { ConnectionEntity } from '../../src/db/entities';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { EnvironmentStore } from '../../src/environments/environment-store';
import { IntegrationStore } from '../../src/integrations/integration-store';

describe('the hot path on the embedded PostgreSQL of dev mode (PGlite over pglite-socket)', function () {
  this.timeout(120_000);

  it('the connection read (again and again, and 20 at once), the one-statement import, its override and the batched last_fetched_at write', async () => {
    const embedded = await startEmbeddedPostgres({});
    try {
      const db = await openDatabase(embedded.url);
      const cipher = new Cipher([{ id: 'test', key: randomBytes(32) }]);
      const { environment } = await new EnvironmentStore(db, cipher).create('dev');
      const integration = await new IntegrationStore(db, cipher).create(environment.id, { uniqueKey: 'gh', provider: 'github', displayName: null, clientId: 'id', clientSecret: 'embedded-client-secret', scopes: [], forwardWebhooks: true });
      // As dev mode opens it (src/start/services.ts): PGlite's pooled connections share one session.
      const store = new ConnectionStore(db, cipher, { namedStatements: false });
      const expiresAt = new Date(Date.now() + 3_600_000);
      const fields = { environmentId: environment.id, integrationId: integration.id, connectionId: 'embedded', expiresAt, metadata: { seats: 2 } };
      const created = await store.importConnection({ ...fields, credentials: { type: 'OAUTH2', access_token: 'at-embedded-1', refresh_token: 'rt-embedded-1', expires_at: expiresAt.toISOString(), raw: {} } });
      expect(created.operation).to.equal('creation');
      const overridden = await store.importConnection({ ...fields, credentials: { type: 'OAUTH2', access_token: 'at-embedded-2', refresh_token: 'rt-embedded-2', expires_at: expiresAt.toISOString(), raw: {} } });
      expect(overridden.operation).to.equal('override');
      for (let i = 0; i < 3; i++) {
        const row = (await store.find(environment.id, integration.id, 'embedded'))!;
        expect(row).to.deep.include({ id: created.row.id, credentialsVersion: 2, metadata: { seats: 2 } });
        expect(store.credentialsOf(row)).to.include({ access_token: 'at-embedded-2' });
      }
      // Concurrent reads take several pooled clients (a statement prepared by name on one would already
      // exist for the next: the 500 the README quickstart found).
      const concurrent = await Promise.all(Array.from({ length: 20 }, () => store.find(environment.id, integration.id, 'embedded')));
      expect(concurrent.map((row) => row?.id)).to.deep.equal(Array.from({ length: 20 }, () => created.row.id));
      const read = new Date('2026-12-01T09:00:00.000Z');
      store.touchFetched((await store.find(environment.id, integration.id, 'embedded'))!, read);
      await store.close();
      expect((await db.getRepository(ConnectionEntity).findOneByOrFail({ id: created.row.id })).lastFetchedAt?.toISOString()).to.equal(read.toISOString());
      await db.destroy();
    } finally {
      await embedded.stop();
    }
  });
});
