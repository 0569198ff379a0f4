import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AuthAttemptEntity, ConnectionEntity } from '../../src/db/entities';
import { takeCallback } from '../../src/authorization/take-callback';
import { authorizationStateQuery, authorizationWorkflowId, type AuthorizationInput, type AuthorizationState } from '../../workflows/authorization-messages';
import { useLifecycleSuite } from './lifecycle-suite';
import { ENCRYPTED } from '../../src/crypto/encrypted-columns';

describe('authorization workflow: an attempt whose callback never arrives (time skipping)', function () {
  this.timeout(120_000);
  const s = useLifecycleSuite();

  it('fails cleanly at the timeout, and a callback after that changes nothing', async () => {
    const { rig, env } = s;
    const attempts = rig.db.getRepository(AuthAttemptEntity);
    const attemptId = randomUUID();
    const attempt = await attempts.save(
      attempts.create({
        id: attemptId,
        environmentId: rig.environment.id,
        integrationId: rig.integration.id,
        connectionId: 'never-called-back',
        authMode: 'OAUTH2',
        secretsEncrypted: rig.cipher.encrypt(JSON.stringify({ pkceVerifier: 'verifier-that-must-be-wiped' }), ENCRYPTED.attemptSecrets, attemptId),
        // An attempt begun before secrets_encrypted existed keeps its verifier here; it is wiped the same way.
        pkceVerifierEncrypted: rig.cipher.encrypt('legacy-verifier-that-must-be-wiped', ENCRYPTED.attemptPkceVerifier, attemptId),
        status: 'pending',
        // The row's own expiry is wall-clock; the workflow's timeout is what ends the attempt.
        expiresAt: new Date(Date.now() + 15 * 60_000),
      }),
    );
    const input: AuthorizationInput = { attemptId: attempt.id, providerConfigKey: 'fake', connectionId: 'never-called-back', waitForCallback: true, timeoutMs: 15 * 60_000 };
    const handle = await env.client.workflow.start('authorizationWorkflow', { taskQueue: rig.taskQueue, workflowId: authorizationWorkflowId(attempt.id), args: [input] });

    expect((await handle.query(authorizationStateQuery)).status).to.equal('pending');
    await env.sleep('16 minutes');
    const result = (await handle.result()) as AuthorizationState;
    expect(result).to.include({ status: 'failed', errorCode: 'authorization_timeout', connectionId: 'never-called-back' });

    const failed = await attempts.findOneByOrFail({ id: attempt.id });
    expect(failed).to.include({ status: 'failed', errorCode: 'authorization_timeout', secretsEncrypted: null, pkceVerifierEncrypted: null });
    expect(await takeCallback(rig.db, rig.cipher, attempt.id, { code: 'late-code' }), 'a late callback is refused').to.equal(false);
    expect((await attempts.findOneByOrFail({ id: attempt.id })).callbackParamsEncrypted).to.equal(null);
    expect(await rig.db.getRepository(ConnectionEntity).countBy({ connectionId: 'never-called-back' })).to.equal(0);
    expect(rig.provider.tokenCalls()).to.deep.equal([]);
    const log = await rig.db.query(`SELECT message FROM operation_log WHERE auth_attempt_id = $1`, [attempt.id]);
    expect(log.map((l: { message: string }) => l.message)).to.deep.equal(['authorization failed: The authorization was not completed in time']);
  });
});
