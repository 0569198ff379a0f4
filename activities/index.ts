/** Every activity the worker registers, built from injected dependencies. */
import { createConnectionActivities, type ConnectionActivityDeps } from './connection-activities';
import { createWebhookActivities, type WebhookActivityDeps } from './webhook-activities';

export type ActivityDeps = ConnectionActivityDeps & WebhookActivityDeps & { config: ConnectionActivityDeps['config'] & WebhookActivityDeps['config'] };

export function createActivities(deps: ActivityDeps) {
  return { ...createConnectionActivities(deps), ...createWebhookActivities(deps) };
}
export type { ConnectionActivities } from './connection-activities';
export type { WebhookActivities } from './webhook-activities';
