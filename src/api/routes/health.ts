/** Liveness (`/health`) and readiness (`/health/ready`: database and Temporal reachable). */
import Router from '@koa/router';
import { CustodianError } from '../../errors';
import { temporalIsReachable } from '../../temporal/client';
import type { ApiDeps, ApiState } from '../context';
import { doc } from '../openapi/route-doc';
import { healthBody, readyBody } from '../schemas/responses';

async function databaseIsReachable(deps: ApiDeps): Promise<boolean> {
  try {
    await deps.db.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** The health routes (no auth: they reveal nothing). */
export function healthRouter(deps: ApiDeps): Router<ApiState> {
  const router = new Router<ApiState>();

  router.get('/health', doc({ summary: 'Liveness: the process answers', responses: { 200: { description: 'Up', schema: healthBody } } }), (ctx) => {
    ctx.body = { result: 'ok' };
  });

  router.get('/health/ready', doc({
    summary: 'Readiness: the database and Temporal are reachable',
    responses: { 200: { description: 'Ready', schema: readyBody } },
    errors: ['not_ready'],
  }), async (ctx) => {
    const [database, temporal] = await Promise.all([
      databaseIsReachable(deps),
      deps.temporal ? temporalIsReachable(deps.temporal) : Promise.resolve(false),
    ]);
    const checks = { database: database ? 'ok' : 'unreachable', temporal: temporal ? 'ok' : 'unreachable' };
    if (!database || !temporal) throw new CustodianError('not_ready', undefined, { payload: { checks } });
    ctx.body = { status: 'ready', checks };
  });

  return router;
}
