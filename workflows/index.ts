/** Every workflow the worker runs. The worker bundles this module (deterministic code only). */
export { connectionWorkflow } from './connection-workflow';
export { webhookDeliveryWorkflow } from './webhook-delivery-workflow';
export { authorizationWorkflow } from './authorization-workflow';
