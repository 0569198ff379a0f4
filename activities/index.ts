/** Every activity the worker registers, built from injected dependencies. */
import { createAuthorizationActivities, type AuthorizationActivityDeps } from './authorization-activities';
import { createConnectionActivities, type ConnectionActivityDeps } from './connection-activities';
import { createWebhookActivities, type WebhookActivityDeps } from './webhook-activities';

export type ActivityDeps = ConnectionActivityDeps &
  WebhookActivityDeps &
  AuthorizationActivityDeps & { config: ConnectionActivityDeps['config'] & WebhookActivityDeps['config'] & AuthorizationActivityDeps['config'] };

export function createActivities(deps: ActivityDeps) {
  return { ...createConnectionActivities(deps), ...createWebhookActivities(deps), ...createAuthorizationActivities(deps) };
}
export type { AuthorizationActivities } from './authorization-activities';
export type { ConnectionActivities } from './connection-activities';
export type { WebhookActivities } from './webhook-activities';
