import { expect } from 'chai';
import { AuthAttemptEntity, ConnectionEntity } from '../../src/db/entities';
import { authorizationWorkflowId, type AuthorizationInput, type AuthorizationState } from '../../workflows/authorization-messages';
import { useLifecycleSuite } from './lifecycle-suite';
import { randomUUID } from 'node:crypto';
import { ENCRYPTED } from '../../src/crypto/encrypted-columns';

describe('authorization workflow: an attempt that fails keeps no secrets (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('an attempt whose obtained credentials could not be stored as a connection is failed and holds no obtained credentials', async () => {
    const { rig, env } = s;
    const attempts = rig.db.getRepository(AuthAttemptEntity);
    // Encrypted values are bound to their row: the id comes first.
    const id = randomUUID();
    const attempt = await attempts.save(
      attempts.create({
        id,
        environmentId: rig.environment.id,
        integrationId: rig.integration.id,
        connectionId: 'store-fails',
        authMode: 'API_KEY',
        // Obtained and encrypted, but not a credentials document: every storeConnection attempt throws.
        credentialsEncrypted: rig.cipher.encrypt('obtained-secret-that-must-be-wiped', ENCRYPTED.attemptCredentials, id),
        status: 'pending',
        expiresAt: new Date(Date.now() + 15 * 60_000),
      }),
    );
    const input: AuthorizationInput = { attemptId: attempt.id, providerConfigKey: 'fake', connectionId: 'store-fails', waitForCallback: false, timeoutMs: 15 * 60_000 };
    const handle = await env.client.workflow.start('authorizationWorkflow', { taskQueue: rig.taskQueue, workflowId: authorizationWorkflowId(attempt.id), args: [input] });

    const result = (await handle.result()) as AuthorizationState;
    expect(result).to.include({ status: 'failed', errorCode: 'authorization_failed', connectionId: 'store-fails' });
    const failed = await attempts.findOneByOrFail({ id: attempt.id });
    expect(failed).to.include({ status: 'failed', errorCode: 'authorization_failed', credentialsEncrypted: null, callbackParamsEncrypted: null, secretsEncrypted: null, pkceVerifierEncrypted: null });
    expect(await rig.db.getRepository(ConnectionEntity).countBy({ connectionId: 'store-fails' })).to.equal(0);
  });
});
