/** Every entity, in the order the data source registers them. */
import { AuthAttemptEntity } from './auth-attempt';
import { ConnectSessionEntity } from './connect-session';
import { ConnectionEntity } from './connection';
import { EnvironmentEntity } from './environment';
import { IntegrationEntity } from './integration';
import { OperationLogEntity } from './operation-log';
import { PendingWorkflowStartEntity } from './pending-workflow-start';
import { ProxyRateBucketEntity } from './proxy-rate-bucket';
import { WebhookDeliveryEntity } from './webhook-delivery';

export { AuthAttemptEntity, ConnectSessionEntity, ConnectionEntity, EnvironmentEntity, IntegrationEntity, OperationLogEntity, PendingWorkflowStartEntity, ProxyRateBucketEntity, WebhookDeliveryEntity };
export type { ConnectionStatus } from './connection';

export const ENTITIES = [
  EnvironmentEntity, IntegrationEntity, ConnectionEntity, ConnectSessionEntity, AuthAttemptEntity, OperationLogEntity, WebhookDeliveryEntity, ProxyRateBucketEntity, PendingWorkflowStartEntity,
];
