/**
 * Descriptions shared by the authorization flow routes: what any flow may answer once its session is
 * known, and the description of a form ("direct") flow from its auth mode and body schema, so a route
 * mounted per strategy describes itself from the strategy's own `body` schema.
 */
import type { z } from 'zod';
import { directFlowBody } from '../schemas/responses';
import type { ErrorRef, RouteDoc } from './route-doc';

/** The integration, its mode and the connection config are checked, the attempt counted and started. */
export const FLOW_ERRORS: readonly ErrorRef[] = [
  'integration_not_allowed', 'unknown_provider_config', 'invalid_auth_mode', 'provider_not_in_catalog', 'missing_connection_config',
  'invalid_connection_config', 'pinned_by_session', 'private_network_target', 'rate_limited', 'temporal_unavailable',
];

/** What a form flow may answer once its workflow has run. */
export const OUTCOME_ERRORS: readonly ErrorRef[] = ['connection_test_failed', 'invalid_credentials', 'authorization_failed', 'authorization_pending', 'provider_unreachable', 'provider_timeout'];

/** The description of a form flow's `POST` route (`:key` is the integration). */
export function formFlowDoc(options: { authMode: string; params: z.ZodType; query: z.ZodType; body: z.ZodType | undefined }): RouteDoc {
  return {
    summary: `Connect an integration of auth mode ${options.authMode} with the submitted credentials (verified before anything is stored)`,
    tag: 'auth',
    params: options.params,
    query: options.query,
    ...(options.body ? { body: options.body } : {}),
    responses: { 200: { description: 'The connection made', schema: directFlowBody } },
    errors: [...FLOW_ERRORS, ...OUTCOME_ERRORS],
  };
}
