/** An authorization attempt failed for a reason of the flow itself (denied by the user, no code on the callback…). */
import type { CodeWithStatus } from '../../src/error-catalogue';
import { CustodianError } from '../../src/errors';

export class AuthorizationError extends CustodianError {
  constructor(code: CodeWithStatus<400>, message?: string) {
    super(code, message);
  }
}

/** A non-empty string, or undefined. */
export const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The integration's OAuth client, or the flow's `integration_missing_client` refusal. */
export function requireClientForFlow(client: { clientId: string | null; clientSecret: string | null }): { clientId: string; clientSecret: string } {
  if (client.clientId === null || client.clientSecret === null) throw new AuthorizationError('integration_missing_client', 'The integration has no OAuth client id or secret');
  return { clientId: client.clientId, clientSecret: client.clientSecret };
}
