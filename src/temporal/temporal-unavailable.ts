/**
 * Recognises a Temporal frontend that cannot be reached: the gRPC status UNAVAILABLE (nothing
 * answers, connection lost) or DEADLINE_EXCEEDED (it did not answer in time), as @temporalio/client
 * reports them (a ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError or the gRPC error itself,
 * the gRPC error being somewhere in the `cause` chain).
 */
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

// gRPC status codes (grpc/grpc doc/statuscodes.md).
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const MAX_DEPTH = 8;

/** Whether `error` (or what it wraps) says Temporal is unreachable. */
export function isTemporalUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_DEPTH && current instanceof Error; depth++) {
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(current) && (current.code === GRPC_UNAVAILABLE || current.code === GRPC_DEADLINE_EXCEEDED)) return true;
    current = current.cause;
  }
  return false;
}
