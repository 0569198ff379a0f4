/** Liveness (`/health`) and readiness (`/health/ready`: database and Temporal reachable). */
import Router from '@koa/router';
import { CustodianError } from '../../errors';
import { temporalIsReachable } from '../../temporal/client';
import type { ApiDeps, ApiState } from '../context';

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

  router.get('/health', (ctx) => {
    ctx.body = { result: 'ok' };
  });

  router.get('/health/ready', async (ctx) => {
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
